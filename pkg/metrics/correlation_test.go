package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/metrics"
	"github.com/profilesync/profilesync/pkg/redact"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// A change's story across the functions, as the Lambdas build them
// (wiring.Ingress, wiring.Sync): every log line about it carries its event
// id and the subject's hash, none the subject itself, and the metrics
// name targets and sources only.
func TestLogsCorrelateByEventIDAndSubjectHash(t *testing.T) {
	const subject = "user_2kQ9xVbN7cRmT4pL"
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ms, err := plugins.All.LoadMappings(os.DirFS("../../mappings"), ".")
	if err != nil {
		t.Fatal(err)
	}
	var logs, out bytes.Buffer
	fn := wiring.Function{Mappings: ms, Sources: []string{"clerk"},
		Secrets: secrets{"clerk": clerkSecret(),
			"salesforce": `{"login_url":"` + srv.URL + `","client_id":"cid","client_secret":"csecret"}`},
		HTTP: egress.Client(egress.Local, 5*time.Second), Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Now: func() time.Time { return tNow }, Metrics: &out}

	q := &ingress.MemoryQueue{}
	in, err := wiring.Ingress(context.Background(), wiring.IngressPorts{Function: fn, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := in.Handle(context.Background(), signed("msg_corr", clerkUser(subject))); resp.StatusCode != 200 {
		t.Fatalf("ingress answered %d %s", resp.StatusCode, resp.Body)
	}
	msgs := q.Messages("salesforce")
	if len(msgs) != 1 {
		t.Fatalf("%d messages for salesforce", len(msgs))
	}
	// A second message of the same event fails at Salesforce and is
	// retried, so the failure's log lines are in the story too.
	dq := &delivery.MemoryQueue{}
	sync, err := wiring.Sync(context.Background(), wiring.SyncPorts{Function: fn, Plugins: plugins.All, Target: "salesforce",
		State: &delivery.MemoryState{}, Queue: dq, Abandoned: dq})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext(1, 503, "SERVER_UNAVAILABLE")
	sqs := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", ReceiptHandle: "r-1", Body: string(msgs[0].Body),
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
	if resp, err := sync.Handle(context.Background(), sqs); err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("first attempt: %+v, %v; want a retry", resp, err)
	}
	sqs.Records[0].Attributes["ApproximateReceiveCount"] = "2"
	if resp, err := sync.Handle(context.Background(), sqs); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second attempt: %+v, %v", resp, err)
	}
	if len(fake.Records("Contact")) != 1 {
		t.Fatal("the contact was not created")
	}

	for name, b := range map[string][]byte{"logs": logs.Bytes(), "metrics": out.Bytes()} {
		if bytes.Contains(b, []byte(subject)) {
			t.Errorf("the subject appears in the %s:\n%s", name, b)
		}
		if bytes.Contains(b, []byte("jane@example.com")) || bytes.Contains(b, []byte("Jane")) {
			t.Errorf("personal data in the %s:\n%s", name, b)
		}
	}
	hash := redact.SubjectHash(subject)
	seen := map[string]bool{}
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %s: %v", sc.Bytes(), err)
		}
		msg, _ := l["msg"].(string)
		if l["event_id"] == nil {
			continue
		}
		if l["event_id"] != "msg_corr" || l["subject_hash"] != hash {
			t.Errorf("line %q carries event_id %v and subject_hash %v, want msg_corr and %s", msg, l["event_id"], l["subject_hash"], hash)
		}
		seen[msg] = true
	}
	for _, msg := range []string{"webhook accepted", "delivery failed; retry scheduled", "delivery done"} {
		if !seen[msg] {
			t.Errorf("no %q line with the event id; lines:\n%s", msg, logs.String())
		}
	}
	docs := parseEMF(t, out.Bytes())
	var sources, targets int
	for _, d := range docs {
		for k, v := range d.Root {
			if s, ok := v.(string); ok && k != metrics.DimTarget && k != metrics.DimSource && k != metrics.DimReason {
				t.Errorf("metric line member %s=%q is neither a dimension nor a metric", k, s)
			}
		}
		switch {
		case d.dim(metrics.DimSource) == "clerk":
			sources++
		case d.dim(metrics.DimTarget) == "salesforce" && d.dim(metrics.DimReason) == "":
			targets++
		}
	}
	if sources != 1 || targets != 2 {
		t.Errorf("%d source lines and %d target lines, want 1 and 2 (one per batch):\n%s", sources, targets, out.String())
	}
	if strings.Count(out.String(), `"Reason":"transient"`) != 1 {
		t.Errorf("want the retry counted under Reason transient once:\n%s", out.String())
	}
}
