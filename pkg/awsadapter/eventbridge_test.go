package awsadapter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

var noticeAt = time.Date(2025, 1, 1, 10, 5, 0, 0, time.UTC)

// notices returns n notices; every fourth is SyncAbandoned, the rest
// ProfileSynced.
func notices(n int) []delivery.Notice {
	out := make([]delivery.Notice, n)
	for i := range out {
		nt := delivery.Notice{
			Type: delivery.NoticeSynced, Target: "salesforce", Subject: fmt.Sprintf("user-%02d", i),
			EventID: fmt.Sprintf("evt-%02d", i), EventType: "updated", Source: "cidaas",
			Outcome: "updated", RecordID: "003" + fmt.Sprint(i), At: noticeAt.Add(time.Duration(i) * time.Second),
		}
		if i%4 == 3 {
			nt.Type, nt.Outcome, nt.Reason, nt.Attempts = delivery.NoticeAbandoned, "", "permanent (status 400)", 3
		}
		out[i] = nt
	}
	return out
}

// TestNoticesReachARuleTarget publishes through moto's EventBridge: a rule
// on the bus matching source profilesync and detail-type ProfileSynced
// delivers to an SQS queue, and what arrives is the full EventBridge
// envelope with the notice as detail.
func TestNoticesReachARuleTarget(t *testing.T) {
	srv := moto.Start(t)
	cfg := srv.AWSConfig(ctxFor(t))
	bus, queueName := "ps-bus-"+t.Name(), "ps-notices-"+t.Name()
	q := sqs.NewFromConfig(cfg)
	qurl, qarn := createQueue(t, q, queueName)
	admin := eventbridge.NewFromConfig(cfg)
	if _, err := admin.CreateEventBus(ctxFor(t), &eventbridge.CreateEventBusInput{Name: awssdk.String(bus)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutRule(ctxFor(t), &eventbridge.PutRuleInput{
		Name: awssdk.String("synced"), EventBusName: awssdk.String(bus),
		EventPattern: awssdk.String(`{"source":["profilesync"],"detail-type":["ProfileSynced"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutTargets(ctxFor(t), &eventbridge.PutTargetsInput{
		Rule: awssdk.String("synced"), EventBusName: awssdk.String(bus),
		Targets: []ebtypes.Target{{Id: awssdk.String("queue"), Arn: awssdk.String(qarn)}},
	}); err != nil {
		t.Fatal(err)
	}

	counter := newCountingHTTP()
	client := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.HTTPClient = counter })
	sent := notices(23)
	if err := awsadapter.NewNotices(client, bus).Notify(ctxFor(t), sent); err != nil {
		t.Fatal(err)
	}
	if n := counter.Count(); n != 3 {
		t.Fatalf("%d PutEvents calls for 23 notices, want 3", n)
	}

	want := map[string]delivery.Notice{}
	for _, nt := range sent {
		if nt.Type == delivery.NoticeSynced {
			want[nt.Subject] = nt
		}
	}
	got := receiveBodies(t, q, qurl, len(want))
	for _, body := range got {
		var env struct {
			Version    string          `json:"version"`
			ID         string          `json:"id"`
			DetailType string          `json:"detail-type"`
			Source     string          `json:"source"`
			Account    string          `json:"account"` // moto 5.2.1 leaves it out
			Time       string          `json:"time"`
			Region     string          `json:"region"`
			Resources  []string        `json:"resources"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			t.Fatalf("envelope %s: %v", body, err)
		}
		var detail delivery.Notice
		if err := json.Unmarshal(env.Detail, &detail); err != nil {
			t.Fatalf("detail %s: %v", env.Detail, err)
		}
		nt, ok := want[detail.Subject]
		if !ok {
			t.Fatalf("unexpected or repeated event: %s", body)
		}
		delete(want, detail.Subject)
		nt.Type = "" // not in the detail: it is the detail-type
		if !equalJSON(t, detail, nt) || strings.Contains(string(env.Detail), "ProfileSynced") {
			t.Errorf("detail = %+v, want %+v", detail, nt)
		}
		if env.Version != "0" || env.ID == "" || env.DetailType != delivery.NoticeSynced || env.Source != "profilesync" ||
			(env.Account != moto.AccountID && env.Account != "") || env.Region != moto.Region || env.Resources == nil ||
			env.Time != nt.At.Format(time.RFC3339) {
			t.Errorf("envelope %s", body)
		}
	}
	if len(want) > 0 {
		t.Errorf("%d ProfileSynced notices not delivered", len(want))
	}
	// Nothing more: the SyncAbandoned notices match no rule.
	if extra := receive(t, q, qurl, 1); len(extra) > 0 {
		t.Fatalf("non-matching notice delivered: %s", extra[0])
	}
}

// TestNoticesHonourServiceEndpointURL aims the general endpoint at a closed
// port: only AWS_ENDPOINT_URL_EVENTBRIDGE can make publishing work, with
// the configuration the sync function builds (awsadapter.ConfigFromEnv) and the
// client handed over as a method value, as the sync function does.
func TestNoticesHonourServiceEndpointURL(t *testing.T) {
	srv := moto.Start(t)
	isolateEnv(t, srv)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", srv.Endpoint())
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if err := awsadapter.NewNotices(awsadapter.EventBridgeOf(eventbridge.NewFromConfig(cfg)), "default").Notify(ctxFor(t), notices(1)); err != nil {
		t.Fatalf("via AWS_ENDPOINT_URL_EVENTBRIDGE: %v", err)
	}
}

func createQueue(t *testing.T, q *sqs.Client, name string) (url, arn string) {
	t.Helper()
	out, err := q.CreateQueue(ctxFor(t), &sqs.CreateQueueInput{QueueName: awssdk.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctxFor(t), &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl, attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// receiveBodies polls the queue until n messages arrived (deleting them), or
// fails after 10 s.
func receiveBodies(t *testing.T, q *sqs.Client, url string, n int) []string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages", len(got), n)
		}
		got = append(got, receive(t, q, url, 1)...)
	}
	return got
}

func receive(t *testing.T, q *sqs.Client, url string, wait int32) []string {
	t.Helper()
	out, err := q.ReceiveMessage(ctxFor(t), &sqs.ReceiveMessageInput{
		QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
	})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, awssdk.ToString(m.Body))
		if _, err := q.DeleteMessage(ctxFor(t), &sqs.DeleteMessageInput{QueueUrl: awssdk.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// fakeEventBridge refuses the entries whose Subject (in the detail) is in
// refuse, each time they are sent, with code; it records every call.
type fakeEventBridge struct {
	refuse  map[string]int // subject → times still to refuse
	code    string
	callErr error
	calls   [][]ebtypes.PutEventsRequestEntry
}

func (f *fakeEventBridge) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.calls = append(f.calls, in.Entries)
	if f.callErr != nil {
		return nil, f.callErr
	}
	out := &eventbridge.PutEventsOutput{}
	for i, e := range in.Entries {
		var nt delivery.Notice
		_ = json.Unmarshal([]byte(awssdk.ToString(e.Detail)), &nt)
		if f.refuse[nt.Subject] > 0 {
			f.refuse[nt.Subject]--
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{
				ErrorCode: awssdk.String(f.code), ErrorMessage: awssdk.String("refused " + nt.Subject),
			})
			continue
		}
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: awssdk.String(fmt.Sprint("id-", i))})
	}
	return out, nil
}

func subjects(entries []ebtypes.PutEventsRequestEntry) string {
	var s []string
	for _, e := range entries {
		var nt delivery.Notice
		_ = json.Unmarshal([]byte(awssdk.ToString(e.Detail)), &nt)
		s = append(s, nt.Subject)
	}
	return strings.Join(s, ",")
}

func TestNoticesRetryOnlyRefusedEntriesOnce(t *testing.T) {
	f := &fakeEventBridge{refuse: map[string]int{"user-02": 1, "user-05": 1}, code: "ThrottlingException"}
	if err := awsadapter.NewNotices(f, "bus").Notify(ctxFor(t), notices(12)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range f.calls {
		got = append(got, fmt.Sprint(len(c)))
	}
	// 10, then the 2 refused of those, then the last 2.
	if strings.Join(got, " ") != "10 2 2" || subjects(f.calls[1]) != "user-02,user-05" {
		t.Fatalf("calls %v, retry %s", got, subjects(f.calls[1]))
	}
	for _, e := range f.calls[0] {
		if awssdk.ToString(e.EventBusName) != "bus" || awssdk.ToString(e.Source) != "profilesync" || awssdk.ToString(e.DetailType) == "" || e.Time == nil {
			t.Fatalf("entry %+v", e)
		}
	}
}

func TestNoticesErrorsNameCountsAndCodes(t *testing.T) {
	f := &fakeEventBridge{refuse: map[string]int{"user-00": 2, "user-01": 2}, code: "InternalFailure"}
	err := awsadapter.NewNotices(f, "bus").Notify(ctxFor(t), notices(3))
	if err == nil || err.Error() != "eventbridge notices: 2 of 3 not published: 2× InternalFailure" {
		t.Fatalf("err = %v", err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d calls, want the batch and one retry", len(f.calls))
	}

	f = &fakeEventBridge{callErr: context.DeadlineExceeded}
	err = awsadapter.NewNotices(f, "bus").Notify(ctxFor(t), notices(12))
	if err == nil || !strings.HasPrefix(err.Error(), "eventbridge notices: 12 of 12 not published: 12× call failed; notices 1-10: ") {
		t.Fatalf("err = %v", err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d calls, want both batches tried", len(f.calls))
	}
	for _, leak := range []string{"user-", "evt-", "003"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error %q carries notice contents", err)
		}
	}
}

func TestNoticesSplitByBytes(t *testing.T) {
	ns := notices(5)
	for i := range ns {
		ns[i].Reason = strings.Repeat("x", 100<<10)
	}
	f := &fakeEventBridge{}
	if err := awsadapter.NewNotices(f, "bus").Notify(ctxFor(t), ns); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 || len(f.calls[0]) != 2 || len(f.calls[2]) != 1 {
		t.Fatalf("%d calls for 5 notices of 100 KiB, want 2+2+1", len(f.calls))
	}
	if err := awsadapter.NewNotices(f, "bus").Notify(ctxFor(t), []delivery.Notice{{Subject: "s"}}); err == nil {
		t.Fatal("a notice without Type was published")
	}
}
