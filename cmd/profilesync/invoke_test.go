package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInvokeIngressThenDev enqueues with invoke, at a fixed clock, and
// checks the queue `dev` would drain.
func TestInvokeIngressThenDev(t *testing.T) {
	at := time.Date(2025, 1, 1, 10, 5, 0, 0, time.UTC)
	body, err := os.ReadFile(samples + "clerk-user-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	w, err := devstack.Sign(sandbox.DevSecrets(defaultURL)["clerk"], body, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/clerk", Body: string(w.Body), Headers: map[string]string{},
		PathParameters: map[string]string{"source": "clerk"}}
	for k := range w.Header {
		ev.Headers[strings.ToLower(k)] = w.Header.Get(k)
	}
	file, dir := writeJSON(t, ev), t.TempDir()
	env := writeJSON(t, map[string]any{"IngressFunction": map[string]string{"SOURCES": "cidaas,akamai,clerk"}})

	out := mustRun(t, "invoke", "IngressFunction", "-e", file, "--data", dir, "--now", at.Format(time.RFC3339), "--env-vars", env)
	if !strings.Contains(out, `"statusCode":200`) || !strings.Contains(out, `\"enqueued\":2`) {
		t.Fatalf("invoke: %s", out)
	}
	// Without --now the signature's timestamp is too old.
	if r := runCLI(t, "invoke", "ingress", "-e", file, "--data", dir); r.code != 1 || !strings.Contains(r.stdout, `"statusCode":401`) ||
		!strings.Contains(r.stderr, "answered 401") {
		t.Fatalf("invoke without --now: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if out := mustRun(t, "dlq", "list", "salesforce", "--data", dir); !strings.Contains(out, "empty") {
		t.Fatalf("dlq: %s", out)
	}
}

func TestInvokeSync(t *testing.T) {
	now := time.Now().UTC()
	e := profile.Event{ID: "evt-1", Source: "cidaas", Type: profile.Created, Subject: "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", OccurredAt: now, ReceivedAt: now}
	body, err := profile.NewEnvelope("salesforce", e).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := writeJSON(t, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: string(body), EventSource: "aws:sqs"}}})
	out := mustRun(t, "invoke", "SalesforceSyncFunction", "-e", file)
	if !strings.HasPrefix(out, `{"batchItemFailures":[]}`) || !strings.Contains(out, `"LastName": "Doe"`) {
		t.Fatalf("invoke: %s", out)
	}
	r := runCLI(t, "invoke", "WebhookSyncFunction", "-e", file)
	// As the Lambda does, the handler dead-letters a message it can never
	// deliver (with the reason) and reports it processed.
	if r.code != 0 || !strings.HasPrefix(r.stdout, `{"batchItemFailures":[]}`) ||
		!strings.Contains(r.stdout, "Dead-lettered") || !strings.Contains(r.stdout, `m-1: permanent`) || !strings.Contains(r.stdout, `reached "webhook"`) {
		t.Fatalf("a salesforce message at the webhook function: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// invoke VerifierFunction runs the verifier's Lambda handler (the same
// dispatcher) on the SQS sample: a thin cidaas event whose profile the
// fresh sandbox serves; the decision is printed.
func TestInvokeVerifier(t *testing.T) {
	out := mustRun(t, "invoke", "VerifierFunction", "-e", "../../events/verifier-sqs.json", "--data", t.TempDir())
	if !strings.Contains(out, `"batchItemFailures":null`) || !strings.Contains(out, "Decisions the verifier recorded:") || !strings.Contains(out, `"verdict": "verified"`) {
		t.Errorf("invoke:\n%s", out)
	}
}

// invoke JobsFunction runs the jobs function's dispatcher on the
// Scheduler sample: the newsletter export writes its part and manifest.
func TestInvokeJobs(t *testing.T) {
	out := mustRun(t, "invoke", "JobsFunction", "-e", "../../events/jobs-schedule.json", "--data", t.TempDir())
	for _, want := range []string{`"job":"newsletter"`, `"done":true`, "Files the run wrote", "/part-00001.csv.gz", "/manifest.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("invoke lacks %q:\n%s", want, out)
		}
	}
}
