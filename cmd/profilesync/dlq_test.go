package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/local"
)

// deadLetter puts one message on target's DLQ in the database in dir.
func deadLetter(t *testing.T, dir, target, body string) {
	t.Helper()
	ctx := context.Background()
	db, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := local.NewQueues(db, local.QueueConfig{Target: "salesforce"}, local.QueueConfig{Target: "webhook"})
	if err != nil {
		t.Fatal(err)
	}
	msg := ingress.Message{ID: "m0", Body: []byte(body), Attributes: map[string]string{
		"event_id": "evt-42", "event_type": "updated", "source": "cidaas",
	}}
	if err := q.SendBatch(ctx, target, []ingress.Message{msg}); err != nil {
		t.Fatal(err)
	}
	got, err := q.Receive(ctx, target, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got))
	}
	if err := q.SendToDLQ(ctx, target, got[0], "permanent: INVALID_EMAIL_ADDRESS"); err != nil {
		t.Fatal(err)
	}
}

func TestDLQListAndRedrive(t *testing.T) {
	dir := t.TempDir()
	const body = `{"v":1,"target":"salesforce","event":{"profile":{"email":"jane.doe@example.com"}}}`
	deadLetter(t, dir, "salesforce", body)

	out := mustRun(t, "dlq", "list", "salesforce", "--data", dir)
	for _, want := range []string{"evt-42", "updated", "cidaas", "permanent: INVALID_EMAIL_ADDRESS", "1 dead letter(s) in salesforce-dlq"} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "jane.doe") || !strings.Contains(out, fmt.Sprintf("%d bytes", len(body))) {
		t.Errorf("dlq list must show the body's size, never the body:\n%s", out)
	}
	if out := mustRun(t, "dlq", "list", "webhook", "--data", dir); !strings.Contains(out, "webhook-dlq is empty") {
		t.Errorf("webhook dlq: %s", out)
	}

	if out := mustRun(t, "dlq", "redrive", "salesforce", "--data", dir); !strings.HasPrefix(out, "1 message(s) moved") {
		t.Errorf("redrive: %s", out)
	}
	if out := mustRun(t, "dlq", "list", "salesforce", "--data", dir); !strings.Contains(out, "salesforce-dlq is empty") {
		t.Errorf("after redrive: %s", out)
	}
}

func TestDLQWithoutDatabase(t *testing.T) {
	r := runCLI(t, "dlq", "list", "salesforce", "--data", t.TempDir())
	if r.code != 1 || !strings.Contains(r.stderr, "no local database") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
