package local

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// TestMain keeps the adapters' logs out of the output unless -v asks.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}

// eventually polls cond until it holds or the deadline passes: the tests
// wait on state, never on sleeps.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newQueues(t *testing.T, cfgs ...QueueConfig) *Queues {
	t.Helper()
	q, err := NewQueues(openDB(t, t.TempDir()), cfgs...)
	if err != nil {
		t.Fatalf("NewQueues: %v", err)
	}
	return q
}

func msgs(n int) []ingress.Message {
	out := make([]ingress.Message, n)
	for i := range out {
		out[i] = ingress.Message{
			ID:         fmt.Sprintf("m%d", i),
			Body:       fmt.Appendf(nil, `{"v":1,"n":%d}`, i),
			Attributes: map[string]string{"event_type": "user.updated", "n": fmt.Sprint(i)},
		}
	}
	return out
}

func send(t *testing.T, q *Queues, target string, ms []ingress.Message) {
	t.Helper()
	if err := q.SendBatch(context.Background(), target, ms); err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
}

func receive(t *testing.T, q *Queues, target string, max int) []events.SQSMessage {
	t.Helper()
	got, err := q.Receive(context.Background(), target, max)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return got
}

type depth struct{ visible, inFlight, dlq int }

func depthOf(t *testing.T, q *Queues, target string) depth {
	t.Helper()
	v, f, d, err := q.Depth(context.Background(), target)
	if err != nil {
		t.Fatalf("Depth: %v", err)
	}
	return depth{v, f, d}
}
