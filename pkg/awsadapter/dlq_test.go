package awsadapter_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// moveTaskFake answers the awsJson1_0 operations moto lacks —
// StartMessageMoveTask and ListMessageMoveTasks — plus GetQueueAttributes
// for the ARNs, and records the requests.
type moveTaskFake struct {
	mu   sync.Mutex
	reqs []map[string]any
	ops  []string
}

func (f *moveTaskFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	op := r.Header.Get("X-Amz-Target")
	f.mu.Lock()
	f.reqs, f.ops = append(f.reqs, in), append(f.ops, op)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch op {
	case "AmazonSQS.GetQueueAttributes":
		url, _ := in["QueueUrl"].(string)
		_ = json.NewEncoder(w).Encode(map[string]any{"Attributes": map[string]string{"QueueArn": "arn:aws:sqs:us-east-1:123456789012:" + url[len(url)-3:]}})
	case "AmazonSQS.StartMessageMoveTask":
		_ = json.NewEncoder(w).Encode(map[string]any{"TaskHandle": "task-1"})
	case "AmazonSQS.ListMessageMoveTasks":
		_ = json.NewEncoder(w).Encode(map[string]any{"Results": []map[string]any{{
			"TaskHandle": "task-1", "Status": "RUNNING", "SourceArn": in["SourceArn"],
			"ApproximateNumberOfMessagesMoved": 3, "ApproximateNumberOfMessagesToMove": 5, "StartedTimestamp": 1767225600000,
		}}})
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.sqs#InvalidAction","message":"not faked"}`))
	}
}

func TestStartRedriveSendsMessageMoveTask(t *testing.T) {
	fake := &moveTaskFake{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := sqs.NewFromConfig(awssdk.Config{Region: "us-east-1", BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
	d := paws.NewDLQ(client, srv.URL+"/123456789012/crm", srv.URL+"/123456789012/dlq")
	handle, err := d.StartRedrive(ctxFor(t))
	if err != nil || handle != "task-1" {
		t.Fatalf("start: %q %v", handle, err)
	}
	tasks, err := d.RedriveTasks(ctxFor(t))
	if err != nil || len(tasks) != 1 || awssdk.ToString(tasks[0].Status) != "RUNNING" || tasks[0].ApproximateNumberOfMessagesMoved != 3 {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var start map[string]any
	for i, op := range fake.ops {
		if op == "AmazonSQS.StartMessageMoveTask" {
			start = fake.reqs[i]
		}
	}
	if start["SourceArn"] != "arn:aws:sqs:us-east-1:123456789012:dlq" || start["DestinationArn"] != "arn:aws:sqs:us-east-1:123456789012:crm" {
		t.Fatalf("StartMessageMoveTask request %v", start)
	}
}

// countingConnector counts the calls that reach the back-end.
type countingConnector struct {
	mu      sync.Mutex
	upserts int
}

func (c *countingConnector) Upsert(context.Context, connector.Record) (connector.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.upserts++
	return connector.Result{ID: "rec-1"}, nil
}
func (c *countingConnector) Delete(context.Context, connector.Record) error { return nil }

// A dead letter moved back to its queue (client-side on moto) and processed
// again changes nothing at the back-end: re-processing is safe.
func TestMoveBackOnMotoAndReprocessing(t *testing.T) {
	srv := moto.Start(t)
	client := sqs.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	pair := createQueuePair(t, client, 10, "30")
	data, err := os.ReadFile("../../mappings/webhook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse("webhook.yaml", data, func(string, map[string]any) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	conn := &countingConnector{}
	h := &delivery.Handler{Target: "webhook", Mapping: m, Connector: conn, State: &delivery.MemoryState{}}
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	body, _ := profile.NewEnvelope("webhook", profile.Event{ID: "e1", Source: "clerk", Type: profile.Created, Subject: "u-1",
		OccurredAt: at, ReceivedAt: at, Profile: &profile.Profile{Sub: "u-1", Email: "jane@example.com"}}).Marshal()
	q := paws.NewQueues(client, map[string]string{"webhook": pair.url})
	if err := q.SendBatch(ctxFor(t), "webhook", []ingress.Message{{ID: "m0", Body: body, Attributes: map[string]string{"event_id": "e1"}}}); err != nil {
		t.Fatal(err)
	}
	handleAll := func() {
		t.Helper()
		var ev events.SQSEvent
		for _, msg := range receiveRecords(t, client, pair.url) {
			ev.Records = append(ev.Records, paws.LambdaRecord(msg, ""))
		}
		if len(ev.Records) != 1 {
			t.Fatalf("received %d records", len(ev.Records))
		}
		if resp, _ := h.Handle(ctxFor(t), ev); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v", resp)
		}
		for _, r := range ev.Records {
			_, _ = client.DeleteMessage(ctxFor(t), &sqs.DeleteMessageInput{QueueUrl: &pair.url, ReceiptHandle: &r.ReceiptHandle})
		}
	}
	handleAll()
	// Abandoned meanwhile (say the back-end answered late): a DLQ copy.
	rq := paws.NewRetryQueue(client, pair.url, pair.dlqURL)
	if err := rq.DeadLetter(ctxFor(t), events.SQSMessage{MessageId: "x", Body: string(body)}, delivery.Reason{Class: "transient", Attempts: 8}); err != nil {
		t.Fatal(err)
	}
	d := paws.NewDLQ(client, pair.url, pair.dlqURL)
	if dls, err := d.List(ctxFor(t), 10); err != nil || len(dls) != 1 || dls[0].Attributes["failure_class"] != "transient" || dls[0].BodyBytes != len(body) {
		t.Fatalf("list: %+v %v", dls, err)
	}
	if n, err := d.MoveBack(ctxFor(t)); err != nil || n != 1 {
		t.Fatalf("move back: %d %v", n, err)
	}
	handleAll()
	if conn.upserts != 1 {
		t.Fatalf("re-processing the redriven message called the back-end again: %d upserts", conn.upserts)
	}
	if dls, _ := d.List(ctxFor(t), 10); len(dls) != 0 {
		t.Fatalf("DLQ not empty after move back: %+v", dls)
	}
}
