package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
)

func TestStateRefusesOlderEvents(t *testing.T) {
	s := NewState(openDB(t, t.TempDir()))
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Put(ctx, "crm", "u-1", delivery.State{LastEventAt: at, LastEventID: "new"}); err != nil {
		t.Fatal(err)
	}
	err := s.Put(ctx, "crm", "u-1", delivery.State{LastEventAt: at.Add(-time.Nanosecond), LastEventID: "old"})
	if !errors.Is(err, delivery.ErrStaleState) {
		t.Fatalf("older Put: %v, want ErrStaleState", err)
	}
	if err := s.Put(ctx, "crm", "u-1", delivery.State{LastEventAt: at, LastEventID: "new", Hash: "h"}); err != nil {
		t.Fatalf("replay of the same event: %v", err)
	}
	if got, _, _ := s.Get(ctx, "crm", "u-1"); got.LastEventID != "new" || got.Hash != "h" {
		t.Fatalf("state %+v", got)
	}
}

func TestRetryQueueReschedulesAndDeadLetters(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "crm", VisibilityTimeout: time.Hour})
	ctx := context.Background()
	rq := RetryQueue{Queues: q, Target: "crm"}
	send(t, q, "crm", msgs(2))
	got := receive(t, q, "crm", 2)
	if len(got) != 2 {
		t.Fatalf("received %d", len(got))
	}
	// A zero delay makes the message visible at once, not after an hour.
	if err := rq.ChangeVisibility(ctx, got[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	again := receive(t, q, "crm", 10)
	if len(again) != 1 || again[0].MessageId != got[0].MessageId || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after ChangeVisibility(0): %+v", again)
	}
	reason := delivery.Reason{Class: "permanent", Status: 400, Code: "INVALID_EMAIL", Message: "bad email", Attempts: 2,
		FirstFailure: time.Unix(100, 0), LastFailure: time.Unix(200, 0)}
	if err := rq.DeadLetter(ctx, again[0], reason); err != nil {
		t.Fatal(err)
	}
	// The handler reports it processed: the poller's delete finds nothing.
	if err := q.Delete(ctx, again[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	dls, err := q.ListDLQ(ctx, "crm")
	if err != nil || len(dls) != 1 {
		t.Fatalf("dlq: %v %+v", err, dls)
	}
	d := dls[0]
	if d.ID != got[0].MessageId || string(d.Body) != `{"v":1,"n":0}` || d.Attempts != 2 || d.Reason != reason.String() {
		t.Errorf("dead letter %+v", d)
	}
	for k, v := range map[string]string{"failure_class": "permanent", "failure_status": "400", "failure_code": "INVALID_EMAIL",
		"attempts": "2", "event_type": "user.updated"} {
		if d.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, d.Attributes[k], v)
		}
	}
	// Redrive brings back the original body.
	if n, err := q.Redrive(ctx, "crm"); err != nil || n != 1 {
		t.Fatalf("redrive %d %v", n, err)
	}
	if back := receive(t, q, "crm", 10); len(back) != 1 || back[0].Body != `{"v":1,"n":0}` {
		t.Fatalf("redriven %+v", back)
	}
}

func TestAbandonedLog(t *testing.T) {
	s := NewState(openDB(t, t.TempDir()))
	ctx := context.Background()
	a := delivery.Abandoned{Target: "crm", Subject: "u-1", EventID: "e1", EventType: "updated", Source: "cidaas", MessageID: "m1",
		Reason: delivery.Reason{Class: "transient", Status: 503, Attempts: 8}}
	for range 2 { // the same event abandoned twice (after a redrive) is one record
		if err := s.RecordAbandoned(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordAbandoned(ctx, delivery.Abandoned{Target: "crm", MessageID: "m2", Reason: delivery.Reason{Class: "permanent"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAbandoned(ctx, "crm")
	if err != nil || len(got) != 2 {
		t.Fatalf("%v %+v", err, got)
	}
	byEvent := map[string]AbandonedRecord{}
	for _, r := range got {
		byEvent[r.EventID] = r
	}
	if r := byEvent["e1"]; r.Subject != "u-1" || r.Reason.Status != 503 || r.Reason.Attempts != 8 || r.Text != a.Reason.String() {
		t.Errorf("record %+v", r)
	}
	if r := byEvent["message-m2"]; r.Reason.Class != "permanent" {
		t.Errorf("undecodable message record %+v", r)
	}
}

func TestPollerWaitsForReady(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "crm"})
	send(t, q, "crm", msgs(1))
	release := make(chan struct{})
	handled := make(chan struct{}, 1)
	p := &Poller{Queues: q, Target: "crm", Handler: okHandler(handled),
		Ready: func(ctx context.Context) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	if d := depthOf(t, q, "crm"); d.visible != 1 {
		t.Fatalf("paused poller received: %+v", d)
	}
	close(release)
	<-handled
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// okHandler processes every message and signals each batch.
func okHandler(handled chan<- struct{}) SyncFunc {
	return func(_ context.Context, _ events.SQSEvent) (events.SQSEventResponse, error) {
		select {
		case handled <- struct{}{}:
		default:
		}
		return events.SQSEventResponse{}, nil
	}
}
