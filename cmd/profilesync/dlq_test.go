package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
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
	q, err := local.NewQueues(db, local.QueueConfig{Target: "salesforce"}, local.QueueConfig{Target: "webhook"}, local.QueueConfig{Target: "claims"})
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

// The claim verifier's queue has a DLQ like a target's.
func TestDLQOfTheClaimVerifier(t *testing.T) {
	dir := t.TempDir()
	deadLetter(t, dir, "claims", `{"v":1,"target":"claims","event":{}}`)
	out := mustRun(t, "dlq", "list", "claims", "--data", dir)
	if !strings.Contains(out, "1 dead letter(s) in claims-dlq") {
		t.Errorf("dlq list claims:\n%s", out)
	}
	if r := runCLI(t, "dlq", "list", "nosuch", "--data", dir); r.code != 2 || !strings.Contains(r.stderr, "salesforce, webhook, claims") {
		t.Errorf("an unknown target: exit %d, %s", r.code, r.stderr)
	}
}

func TestDLQWithoutDatabase(t *testing.T) {
	r := runCLI(t, "dlq", "list", "salesforce", "--data", t.TempDir())
	if r.code != 1 || !strings.Contains(r.stderr, "no local database") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// On SQS (moto): list shows the reason the sync function wrote, never the
// body; a client-side redrive moves the message back to its queue.
func TestDLQListAndRedriveOnSQS(t *testing.T) {
	srv := motoForCLI(t)
	ctx := t.Context()
	client := sqs.NewFromConfig(srv.AWSConfig(ctx))
	urls := map[string]string{}
	for _, name := range []string{"cli-sf", "cli-sf-dlq"} {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		urls[name] = *out.QueueUrl
	}
	const body = `{"v":1,"target":"salesforce","event":{"profile":{"email":"jane.doe@example.com"}}}`
	v := "evt-42"
	msg := events.SQSMessage{MessageId: "m-1", Body: body, MessageAttributes: map[string]events.SQSMessageAttribute{
		"event_id": {DataType: "String", StringValue: &v}}}
	reason := delivery.Reason{Class: "permanent", Status: 400, Code: "INVALID_EMAIL_ADDRESS", Attempts: 1,
		FirstFailure: time.Now(), LastFailure: time.Now()}
	if err := awsadapter.NewRetryQueue(client, urls["cli-sf"], urls["cli-sf-dlq"]).DeadLetter(ctx, msg, reason); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "dlq", "list", "salesforce", "--dlq-url", urls["cli-sf-dlq"])
	for _, want := range []string{"evt-42", "permanent (status 400) INVALID_EMAIL_ADDRESS after 1 attempt(s)", fmt.Sprintf("%d bytes", len(body)), "1 dead letter(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "jane.doe") {
		t.Errorf("list shows the body:\n%s", out)
	}
	out = mustRun(t, "dlq", "list", "salesforce", "--dlq-url", urls["cli-sf-dlq"], "--output", "json")
	var js []deadLetterJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js) != 1 || js[0].EventID != "evt-42" ||
		!strings.Contains(js[0].Reason, "INVALID_EMAIL_ADDRESS") || js[0].BodyBytes != len(body) || strings.Contains(out, "jane.doe") {
		t.Errorf("list --output json: %v\n%s", err, out)
	}
	if r := runCLI(t, "dlq", "redrive", "salesforce", "--dlq-url", urls["cli-sf-dlq"]); r.code != 2 || !strings.Contains(r.stderr, "--queue-url") {
		t.Errorf("redrive without a destination: exit %d %s", r.code, r.stderr)
	}
	out = mustRun(t, "dlq", "redrive", "salesforce", "--client-side", "--queue-url", urls["cli-sf"], "--dlq-url", urls["cli-sf-dlq"])
	if !strings.HasPrefix(out, "1 message(s) moved") {
		t.Errorf("redrive: %s", out)
	}
	got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: awssdk.String(urls["cli-sf"])})
	if err != nil || len(got.Messages) != 1 || *got.Messages[0].Body != body {
		t.Fatalf("source queue after redrive: %+v %v", got, err)
	}
	if out := mustRun(t, "dlq", "list", "salesforce", "--dlq-url", urls["cli-sf-dlq"]); !strings.Contains(out, "DLQ is empty") {
		t.Errorf("after redrive: %s", out)
	}
}
