package awsadapter_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// recordingSQS counts SendMessageBatch calls and their sizes.
type recordingSQS struct {
	next    paws.SQSAPI
	mu      sync.Mutex
	batches []int
}

func (r *recordingSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, o ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(in.Entries))
	r.mu.Unlock()
	return r.next.SendMessageBatch(ctx, in, o...)
}

type queuePair struct{ url, dlqURL string }

// createQueuePair makes <name> with a RedrivePolicy to <name>-dlq, named
// per test so tests need no Reset.
func createQueuePair(t *testing.T, client *sqs.Client, maxReceive int, visibility string) queuePair {
	t.Helper()
	ctx := ctxFor(t)
	name := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(name + "-dlq")})
	if err != nil {
		t.Fatalf("create dlq: %v", err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("dlq arn: %v", err)
	}
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, attrs.Attributes["QueueArn"], maxReceive)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  awssdk.String(name),
		Attributes: map[string]string{"RedrivePolicy": redrive, "VisibilityTimeout": visibility},
	})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	return queuePair{url: *q.QueueUrl, dlqURL: *dlq.QueueUrl}
}

func messages(n int, prefix string) []ingress.Message {
	out := make([]ingress.Message, n)
	for i := range out {
		id := fmt.Sprintf("%s-%02d", prefix, i)
		out[i] = ingress.Message{
			ID:         id,
			Body:       []byte(`{"event_id":"` + id + `"}`),
			Attributes: map[string]string{"event_type": "profile.updated", "source": "cidaas", "empty": ""},
		}
	}
	return out
}

// receiveAll receives until want distinct bodies were seen or a deadline
// passes; it deletes nothing, so the queue's visibility timeout must outlast
// the loop.
func receiveAll(t *testing.T, client *sqs.Client, url string, want int) map[string]types.Message {
	t.Helper()
	got := map[string]types.Message{}
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		out, err := client.ReceiveMessage(ctxFor(t), &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		for _, m := range out.Messages {
			got[*m.Body] = m
		}
	}
	if len(got) != want {
		t.Fatalf("received %d distinct messages, want %d", len(got), want)
	}
	return got
}

func TestQueuesSendBatchChunksAndDelivers(t *testing.T) {
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 2, "30")
	rec := &recordingSQS{next: client}
	q := paws.NewQueues(rec, map[string]string{"salesforce": pair.url})

	msgs := messages(25, "ev")
	if err := q.SendBatch(ctxFor(t), "salesforce", msgs); err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	if fmt.Sprint(rec.batches) != "[10 10 5]" {
		t.Fatalf("batches = %v, want [10 10 5]", rec.batches)
	}
	got := receiveAll(t, client, pair.url, 25)
	for _, m := range msgs {
		r, ok := got[string(m.Body)]
		if !ok {
			t.Fatalf("message %s not received", m.ID)
		}
		if a := r.MessageAttributes["event_type"]; awssdk.ToString(a.DataType) != "String" || awssdk.ToString(a.StringValue) != "profile.updated" {
			t.Fatalf("event_type attribute = %+v", a)
		}
		if _, ok := r.MessageAttributes["empty"]; ok {
			t.Fatalf("empty attribute was sent")
		}
	}
}

func TestQueuesSendBatchSplitsBySize(t *testing.T) {
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 2, "30")
	rec := &recordingSQS{next: client}
	q := paws.NewQueues(rec, map[string]string{"webhook": pair.url})

	msgs := make([]ingress.Message, 5)
	for i := range msgs {
		body := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 100<<10))
		msgs[i] = ingress.Message{ID: fmt.Sprint("big", i), Body: []byte(body)}
	}
	if err := q.SendBatch(ctxFor(t), "webhook", msgs); err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	// 100 KiB each: two fit in 256 KiB, a third does not.
	if fmt.Sprint(rec.batches) != "[2 2 1]" {
		t.Fatalf("batches = %v, want [2 2 1]", rec.batches)
	}
	receiveAll(t, client, pair.url, 5)
}

func TestQueuesUnknownTarget(t *testing.T) {
	q := paws.NewQueues(nil, map[string]string{"salesforce": "http://unused"})
	err := q.SendBatch(context.Background(), "hubspot", messages(1, "x"))
	if !errors.Is(err, paws.ErrNoQueue) || !strings.Contains(err.Error(), "hubspot") {
		t.Fatalf("err = %v, want ErrNoQueue naming the target", err)
	}
}

// TestQueuesReportsFailedEntries uses a fake endpoint: moto 5.2.1 reports
// per-entry failures only for an invalid DelaySeconds, which Queues never
// sets; every other problem (size, ids, attributes) fails the whole call.
// The fake answers SendMessageBatch (awsJson1_0) the way SQS does when some
// entries are refused.
func TestQueuesReportsFailedEntries(t *testing.T) {
	const secretBody = "PERSONAL-DATA-must-not-leak"
	var calls int
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonSQS.SendMessageBatch" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		var in struct {
			Entries []struct{ Id, MessageBody string }
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out := map[string][]map[string]any{"Successful": {}, "Failed": {}}
		for i, e := range in.Entries {
			if i%2 == 1 {
				out["Failed"] = append(out["Failed"], map[string]any{
					"Id": e.Id, "SenderFault": false, "Code": "InternalError", "Message": "try again",
				})
				continue
			}
			sum := md5.Sum([]byte(e.MessageBody))
			out["Successful"] = append(out["Successful"], map[string]any{
				"Id": e.Id, "MessageId": "mid-" + e.Id, "MD5OfMessageBody": hex.EncodeToString(sum[:]),
			})
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer fake.Close()

	client := sqs.NewFromConfig(awssdk.Config{Region: "us-east-1", Credentials: awssdk.AnonymousCredentials{}},
		func(o *sqs.Options) { o.BaseEndpoint = awssdk.String(fake.URL) })
	q := paws.NewQueues(client, map[string]string{"salesforce": fake.URL + "/123456789012/q"})
	msgs := []ingress.Message{
		{ID: "a", Body: []byte(secretBody + "1")},
		{ID: "b", Body: []byte(secretBody + "2")},
		{ID: "c", Body: []byte(secretBody + "3")},
		{ID: "d", Body: []byte(secretBody + "4")},
	}
	err := q.SendBatch(context.Background(), "salesforce", msgs)
	var be *paws.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BatchError", err)
	}
	if be.Sent != 2 || len(be.Failed) != 2 {
		t.Fatalf("sent %d failed %d, want 2 and 2", be.Sent, len(be.Failed))
	}
	msg := err.Error()
	if !strings.Contains(msg, "2 of 4 messages failed") || !strings.Contains(msg, "InternalError") || !strings.Contains(msg, "b,d") {
		t.Fatalf("error %q does not name the failures", msg)
	}
	if strings.Contains(msg, "PERSONAL") {
		t.Fatalf("error leaks the payload: %q", msg)
	}
	if calls != 1 {
		t.Fatalf("%d calls, want 1", calls)
	}
}

// TestRedriveToDeadLetterQueue receives a message without deleting it past
// maxReceiveCount (2): SQS, like AWS, moves it to the DLQ unchanged.
func TestRedriveToDeadLetterQueue(t *testing.T) {
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 2, "0") // visible again at once: no sleeps
	q := paws.NewQueues(paws.SQSOf(client), map[string]string{"salesforce": pair.url})
	msg := messages(1, "redrive")
	if err := q.SendBatch(ctxFor(t), "salesforce", msg); err != nil {
		t.Fatal(err)
	}
	receive := func(url string) []types.Message {
		out, err := client.ReceiveMessage(ctxFor(t), &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		return out.Messages
	}
	for i := 1; i <= 2; i++ {
		if got := receive(pair.url); len(got) != 1 {
			t.Fatalf("receive %d: %d messages, want 1", i, len(got))
		}
	}
	if got := receive(pair.url); len(got) != 0 {
		t.Fatalf("third receive got %d messages; want none (moved to the DLQ)", len(got))
	}
	dead := receive(pair.dlqURL)
	if len(dead) != 1 || *dead[0].Body != string(msg[0].Body) {
		t.Fatalf("DLQ holds %v, want the original body", dead)
	}
	if got := awssdk.ToString(dead[0].MessageAttributes["source"].StringValue); got != "cidaas" {
		t.Fatalf("DLQ message source attribute = %q", got)
	}
}

// TestCLIReadsWhatQueuesWrote checks our messages with an independent
// client: Debian's AWS CLI v2 (query protocol, where the SDK uses JSON).
func TestCLIReadsWhatQueuesWrote(t *testing.T) {
	cli := moto.AWSCLI(t)
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 2, "30")
	q := paws.NewQueues(client, map[string]string{"webhook": pair.url})
	msgs := messages(3, "cli")
	if err := q.SendBatch(ctxFor(t), "webhook", msgs); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctxFor(t), cli, append([]string{"--endpoint-url", srv.Endpoint(), "--output", "json", "sqs"}, args...)...)
		cmd.Env = append(os.Environ(), srv.Env()...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws sqs %s: %v\n%s", args[0], err, out)
		}
		return out
	}
	var attrs struct{ Attributes map[string]string }
	if err := json.Unmarshal(run("get-queue-attributes", "--queue-url", pair.url, "--attribute-names", "ApproximateNumberOfMessages"), &attrs); err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "3" {
		t.Fatalf("CLI sees ApproximateNumberOfMessages=%q, want 3", attrs.Attributes["ApproximateNumberOfMessages"])
	}
	var recv struct {
		Messages []struct {
			Body              string
			MessageAttributes map[string]struct{ DataType, StringValue string }
		}
	}
	if err := json.Unmarshal(run("receive-message", "--queue-url", pair.url, "--max-number-of-messages", "10", "--message-attribute-names", "All"), &recv); err != nil {
		t.Fatal(err)
	}
	if len(recv.Messages) != 3 {
		t.Fatalf("CLI received %d messages, want 3", len(recv.Messages))
	}
	for _, m := range recv.Messages {
		if !strings.HasPrefix(m.Body, `{"event_id":"cli-`) {
			t.Fatalf("CLI body %q", m.Body)
		}
		if a := m.MessageAttributes["source"]; a.DataType != "String" || a.StringValue != "cidaas" {
			t.Fatalf("CLI attribute source = %+v", a)
		}
	}
}
