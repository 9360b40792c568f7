package eventbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

func TestMain(m *testing.M) { moto.Main(m) }

// envelope is an EventBridge event as a rule target receives it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// bus is a fresh event bus whose rule sends source "profilesync" events of
// both detail types to a fresh SQS queue.
type bus struct {
	name, queueURL string
	sqs            *sqs.Client
}

var seq atomic.Int32

func newBus(t *testing.T, srv *moto.Server) *bus {
	t.Helper()
	ctx := t.Context()
	cfg := srv.AWSConfig(ctx)
	eb, q := awseb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	b := &bus{name: fmt.Sprintf("profiles-%s-%d", t.Name(), seq.Add(1)), sqs: q}
	if _, err := eb.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: &b.name}); err != nil {
		t.Fatal(err)
	}
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(b.name)})
	if err != nil {
		t.Fatal(err)
	}
	b.queueURL = *qo.QueueUrl
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", moto.Region, moto.AccountID, b.name)
	pattern := `{"source":["profilesync"],"detail-type":["ProfileChanged","ProfileDeleted"]}`
	if _, err := eb.PutRule(ctx, &awseb.PutRuleInput{Name: awssdk.String("to-queue"), EventBusName: &b.name, EventPattern: &pattern}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &awseb.PutTargetsInput{Rule: awssdk.String("to-queue"), EventBusName: &b.name,
		Targets: []ebtypes.Target{{Id: awssdk.String("queue"), Arn: &arn}}}); err != nil {
		t.Fatal(err)
	}
	return b
}

// receive polls the queue until it has n messages or 10 s pass.
func (b *bus) receive(t *testing.T, n int) []envelope {
	t.Helper()
	var out []envelope
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		r, err := b.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &b.queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Messages {
			var e envelope
			if err := json.Unmarshal([]byte(*m.Body), &e); err != nil {
				t.Fatalf("message %s: %v", *m.Body, err)
			}
			out = append(out, e)
			if _, err := b.sqs.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: &b.queueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(out) != n {
		t.Fatalf("received %d events, want %d", len(out), n)
	}
	return out
}

// countingTransport counts PutEvents requests.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// isolate keeps a developer's AWS settings out and gives moto's
// credentials, as the Lambda role would.
func isolate(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": moto.AccessKeyID, "AWS_SECRET_ACCESS_KEY": moto.SecretAccessKey, "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EVENTBRIDGE": "",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

func TestPublishThroughMoto(t *testing.T) {
	srv := moto.Start(t)
	isolate(t)
	b := newBus(t, srv)
	counter := &countingTransport{}
	secret := fmt.Sprintf(`{"endpoint":%q,"region":%q}`, srv.Endpoint(), moto.Region)
	c, err := Build("bus", map[string]any{"bus_name": b.name}, []byte(secret), &http.Client{Transport: counter})
	if err != nil {
		t.Fatal(err)
	}
	occurred := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rs := make([]connector.Record, 23)
	for i := range rs {
		rs[i] = connector.Record{Key: fmt.Sprintf("user-%02d", i), Fields: map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "tier": i},
			Event: profile.Event{ID: fmt.Sprintf("evt-%02d", i), Type: profile.Updated, Source: "cidaas", OccurredAt: occurred}}
	}
	results, errs := c.UpsertBatch(t.Context(), rs)
	for i, err := range errs {
		if err != nil || results[i].ID == "" {
			t.Fatalf("record %d = %+v, %v", i, results[i], err)
		}
	}
	if n := counter.n.Load(); n != 3 {
		t.Fatalf("PutEvents calls = %d, want 3 for 23 records", n)
	}
	got := map[string]envelope{}
	for _, e := range b.receive(t, 23) {
		var d Detail
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		got[d.Key] = e
		// moto 5.2.1 sends "account": "" where AWS names the bus owner.
		if e.Version != "0" || e.Source != "profilesync" || e.DetailType != "ProfileChanged" || (e.Account != moto.AccountID && e.Account != "") ||
			e.Region != moto.Region || e.ID == "" || e.Resources == nil || !e.Time.Equal(occurred) {
			t.Fatalf("envelope = %+v, detail %s", e, e.Detail)
		}
	}
	for i, r := range rs {
		e, ok := got[r.Key]
		if !ok {
			t.Fatalf("no event for %s", r.Key)
		}
		var d Detail
		_ = json.Unmarshal(e.Detail, &d)
		want := EventRef{ID: r.Event.ID, Type: profile.Updated, Source: "cidaas", OccurredAt: occurred}
		if d.Event != want || d.Record["email"] != r.Fields["email"] || d.Record["tier"] != float64(i) {
			t.Fatalf("detail of %s = %+v", r.Key, d)
		}
		if e.ID != results[i].ID {
			t.Fatalf("event id %s, but PutEvents answered %s for %s", e.ID, results[i].ID, r.Key)
		}
	}

	del := connector.Record{Key: "user-07", Event: profile.Event{ID: "evt-del", Type: profile.Deleted, Source: "cidaas", OccurredAt: occurred}}
	if err := c.Delete(t.Context(), del); err != nil {
		t.Fatal(err)
	}
	e := b.receive(t, 1)[0]
	var raw map[string]any
	_ = json.Unmarshal(e.Detail, &raw)
	if e.DetailType != "ProfileDeleted" || raw["key"] != "user-07" || raw["event"].(map[string]any)["id"] != "evt-del" {
		t.Fatalf("delete event = %+v, detail %v", e, raw)
	}
	if _, ok := raw["record"]; ok {
		t.Fatalf("delete event carries a record: %v", raw)
	}
}

// TestEndpointFromEnvironment builds with an empty secret, as in Lambda,
// aimed at moto through AWS_ENDPOINT_URL.
func TestEndpointFromEnvironment(t *testing.T) {
	srv := moto.Start(t)
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint())
	t.Setenv("AWS_REGION", moto.Region)
	b := newBus(t, srv)
	// A plain client, as the stack passes every connector: the SDK's own
	// client takes its timeout (and AWS_CA_BUNDLE, set on some machines).
	hc := &http.Client{Timeout: 20 * time.Second}
	c, err := Build("bus", map[string]any{"bus_name": b.name, "detail_type": "ProfileChanged"}, []byte(`{}`), hc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(t.Context(), connector.Record{Key: "u-1", Event: profile.Event{ID: "e1", Type: profile.Created}}); err != nil {
		t.Fatal(err)
	}
	if e := b.receive(t, 1)[0]; e.DetailType != "ProfileChanged" {
		t.Fatalf("event = %+v", e)
	}
}

func TestMissingBusIsPermanent(t *testing.T) {
	srv := moto.Start(t)
	isolate(t)
	api, err := NewAPI(context.Background(), Credentials{Endpoint: srv.Endpoint(), Region: moto.Region}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewWithAPI("bus", Settings{BusName: "no-such-bus", Source: "profilesync", DetailType: "ProfileChanged", DeleteDetailType: "ProfileDeleted"}, api)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Upsert(t.Context(), connector.Record{Key: "u-1", Event: profile.Event{ID: "e1", Type: profile.Created}})
	if fe := fault.As(err); fe == nil || fe.Class != fault.Permanent || fe.Code != "ResourceNotFoundException" {
		t.Fatalf("publish to a missing bus = %v, want permanent ResourceNotFoundException", err)
	}
}
