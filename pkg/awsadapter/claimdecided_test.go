package awsadapter_test

import (
	"encoding/json"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/claimstest"
)

// TestPublishDecision publishes a decision through moto's EventBridge to a
// rule matching detail-type ClaimDecided, and reads what a subscriber
// gets: the decision's ids and verdict, never the declared value.
func TestPublishDecision(t *testing.T) {
	srv := moto.Start(t)
	cfg := srv.AWSConfig(ctxFor(t))
	bus, queueName := "ps-claims-bus-"+t.Name(), "ps-claims-"+t.Name()
	q := sqs.NewFromConfig(cfg)
	qurl, qarn := createQueue(t, q, queueName)
	admin := eventbridge.NewFromConfig(cfg)
	if _, err := admin.CreateEventBus(ctxFor(t), &eventbridge.CreateEventBusInput{Name: awssdk.String(bus)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRule(ctxFor(t), &eventbridge.PutRuleInput{
		Name: awssdk.String("decided"), EventBusName: awssdk.String(bus),
		EventPattern: awssdk.String(`{"source":["profilesync"],"detail-type":["ClaimDecided"],"detail":{"verdict":["verified"]}}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutTargets(ctxFor(t), &eventbridge.PutTargetsInput{
		Rule: awssdk.String("decided"), EventBusName: awssdk.String(bus),
		Targets: []ebtypes.Target{{Id: awssdk.String("queue"), Arn: awssdk.String(qarn)}},
	}); err != nil {
		t.Fatal(err)
	}
	notices := awsadapter.NewNotices(awsadapter.EventBridgeOf(eventbridge.NewFromConfig(cfg)), bus)
	d := claimstest.Decision("dec-1", "sub-a", "hcp", 0, claims.Verified)
	d.Value = "1234567893"
	if err := notices.PublishDecision(ctxFor(t), d); err != nil {
		t.Fatal(err)
	}
	rejected := claimstest.Decision("dec-2", "sub-b", "hcp", 1, claims.Rejected)
	if err := notices.PublishDecision(ctxFor(t), rejected); err != nil {
		t.Fatal(err)
	}
	body := receiveBodies(t, q, qurl, 1)[0]
	var env struct {
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Time       string          `json:"time"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	if env.DetailType != "ClaimDecided" || env.Source != "profilesync" || env.Time != d.DecidedAt.Format(time.RFC3339) {
		t.Errorf("envelope %s", body)
	}
	var got map[string]any
	if err := json.Unmarshal(env.Detail, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "dec-1", "subject": "sub-a", "source": "cidaas", "rule": "hcp", "claim": "hcp-claim", "verdict": "verified",
		"reason": "reason-dec-1", "authority": "auth", "reference": "ref-dec-1",
		"decided_at": d.DecidedAt.Format(time.RFC3339Nano), "expires_at": d.ExpiresAt.Format(time.RFC3339Nano),
		"decided_by": "rule:hcp", "environment": "prod", "client_id": "client-1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("detail %s = %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("detail carries %s = %v", k, got[k])
		}
	}
	// The rejected decision matches no rule: nothing more arrives.
	if extra := receive(t, q, qurl, 1); len(extra) > 0 {
		t.Fatalf("non-matching decision delivered: %s", extra[0])
	}
}
