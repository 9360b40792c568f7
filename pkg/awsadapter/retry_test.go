package awsadapter_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// receiveRecords receives up to 10 messages as Lambda records.
func receiveRecords(t *testing.T, client *sqs.Client, url string) []types.Message {
	t.Helper()
	out, err := client.ReceiveMessage(ctxFor(t), &sqs.ReceiveMessageInput{
		QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestRetryQueueOnMoto(t *testing.T) {
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 10, "300")
	if err := paws.NewQueues(paws.SQSOf(client), map[string]string{"crm": pair.url}).SendBatch(ctxFor(t), "crm", messages(1, "rq")); err != nil {
		t.Fatal(err)
	}
	got := receiveRecords(t, client, pair.url)
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	rec := paws.LambdaRecord(got[0], "")
	rq := paws.NewRetryQueue(paws.SQSOf(client), pair.url, pair.dlqURL) // as the sync function hands it over
	// Visible again at once instead of after the queue's 300 s.
	if err := rq.ChangeVisibility(ctxFor(t), rec.ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	again := receiveRecords(t, client, pair.url)
	if len(again) != 1 || paws.LambdaRecord(again[0], "").Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after ChangeVisibility(0): %+v", again)
	}
	rec = paws.LambdaRecord(again[0], "")
	reason := delivery.Reason{Class: "permanent", Status: 400, Code: "INVALID_EMAIL_ADDRESS", Message: "Email: invalid email address",
		Attempts: 2, FirstFailure: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), LastFailure: time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)}
	if err := rq.DeadLetter(ctxFor(t), rec, reason); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteMessage(ctxFor(t), &sqs.DeleteMessageInput{QueueUrl: &pair.url, ReceiptHandle: &rec.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// The AWS CLI, an independent client, reads what we wrote.
	cli := moto.AWSCLI(t)
	cmd := exec.CommandContext(ctxFor(t), cli, "--endpoint-url", srv.Endpoint(), "--output", "json", "sqs", "receive-message",
		"--queue-url", pair.dlqURL, "--max-number-of-messages", "10", "--message-attribute-names", "All")
	cmd.Env = append(os.Environ(), srv.Env()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws sqs receive-message: %v\n%s", err, out)
	}
	var recv struct {
		Messages []struct {
			Body              string
			MessageAttributes map[string]struct{ DataType, StringValue string }
		}
	}
	if err := json.Unmarshal(out, &recv); err != nil {
		t.Fatal(err)
	}
	if len(recv.Messages) != 1 || recv.Messages[0].Body != rec.Body {
		t.Fatalf("CLI sees %+v", recv.Messages)
	}
	want := map[string]string{"failure_class": "permanent", "failure_status": "400", "failure_code": "INVALID_EMAIL_ADDRESS",
		"failure_message": "Email: invalid email address", "attempts": "2", "first_failure_at": "2026-01-01T10:00:00Z",
		"last_failure_at": "2026-01-01T11:00:00Z", "source": "cidaas", "event_type": "profile.updated"}
	for k, v := range want {
		if a := recv.Messages[0].MessageAttributes[k]; a.StringValue != v || a.DataType != "String" {
			t.Errorf("CLI attribute %s = %+v, want %q", k, a, v)
		}
	}
}

func TestDeadLetterAttributesStayWithinTen(t *testing.T) {
	rec := paws.LambdaRecord(types.Message{MessageAttributes: map[string]types.MessageAttributeValue{}}, "")
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		v := "v-" + k
		rec.MessageAttributes[k] = struct2attr(v)
	}
	got := paws.DeadLetterAttributes(rec, delivery.Reason{Class: "permanent", Status: 400, Code: "X", Message: "m", Attempts: 1})
	if len(got) != 10 || got["failure_class"] != "permanent" || got["a"] != "v-a" || got["d"] != "" {
		t.Fatalf("attributes %v", got)
	}
}

func struct2attr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "String", StringValue: &v}
}
