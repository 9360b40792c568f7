package local

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"maragu.dev/goqite"
)

// remaining lists the message ids still on target's queue.
func remaining(t *testing.T, q *Queues, target string) []string {
	t.Helper()
	rows, err := q.db.sql.Query(`select id from goqite where queue = ?`, target)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, messageID(goqite.ID(id)))
	}
	slices.Sort(ids)
	return ids
}

func TestPollOnceBatchResponse(t *testing.T) {
	failSome := func(idx ...int) func([]events.SQSMessage) (events.SQSEventResponse, error) {
		return func(recs []events.SQSMessage) (events.SQSEventResponse, error) {
			var r events.SQSEventResponse
			for _, i := range idx {
				r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: recs[i].MessageId})
			}
			return r, nil
		}
	}
	tests := []struct {
		name   string
		handle func([]events.SQSMessage) (events.SQSEventResponse, error)
		keep   []int // indexes of the records left on the queue
	}{
		{"all succeed", failSome(), nil},
		{"partial failure deletes only the successes", failSome(1, 3), []int{1, 3}},
		{"duplicate failure ids", failSome(2, 2), []int{2}},
		{"all reported failed", failSome(0, 1, 2, 3, 4), []int{0, 1, 2, 3, 4}},
		{"handler error deletes none", func([]events.SQSMessage) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, errors.New("boom")
		}, []int{0, 1, 2, 3, 4}},
		{"handler panic deletes none", func([]events.SQSMessage) (events.SQSEventResponse, error) {
			panic("boom")
		}, []int{0, 1, 2, 3, 4}},
		{"unknown item identifier fails the batch", func([]events.SQSMessage) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "nope"}}}, nil
		}, []int{0, 1, 2, 3, 4}},
		{"empty item identifier fails the batch", func([]events.SQSMessage) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{}}}, nil
		}, []int{0, 1, 2, 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueues(t, QueueConfig{Target: "t"})
			send(t, q, "t", msgs(5))
			var recs []events.SQSMessage
			p := &Poller{Queues: q, Target: "t", Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				if lc, ok := lambdacontext.FromContext(ctx); !ok || lc.AwsRequestID == "" {
					t.Error("handler context carries no Lambda context")
				}
				if _, ok := ctx.Deadline(); !ok {
					t.Error("handler context has no deadline")
				}
				recs = ev.Records
				return tc.handle(ev.Records)
			}}
			n, err := p.PollOnce(context.Background())
			if err != nil || n != 5 || len(recs) != 5 {
				t.Fatalf("PollOnce = %d, %v; handler saw %d", n, err, len(recs))
			}
			var want []string
			for _, i := range tc.keep {
				want = append(want, recs[i].MessageId)
			}
			slices.Sort(want)
			if got := remaining(t, q, "t"); !slices.Equal(got, want) {
				t.Errorf("left on the queue %v, want %v", got, want)
			}
			if d := depthOf(t, q, "t"); d.inFlight != len(tc.keep) || d.visible != 0 {
				t.Errorf("depth %+v: failed messages must stay hidden until the visibility timeout", d)
			}
		})
	}
}

func TestPollerWakesOnSend(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	var handled atomic.Int32
	p := &Poller{Queues: q, Target: "t", Idle: time.Hour, // only a wake-up can end the wait
		Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			handled.Add(int32(len(ev.Records)))
			return events.SQSEventResponse{}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	for i := 1; i <= 3; i++ {
		send(t, q, "t", msgs(1))
		eventually(t, "the poller to handle a new message", func() bool { return handled.Load() == int32(i) })
	}
	eventually(t, "the queue to drain", func() bool { return depthOf(t, q, "t") == depth{} })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestPollerSurvivesPanicAndRetries(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t", VisibilityTimeout: 100 * time.Millisecond})
	var (
		mu     sync.Mutex
		counts []string
	)
	p := &Poller{Queues: q, Target: "t", Idle: 20 * time.Millisecond,
		Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			mu.Lock()
			counts = append(counts, ev.Records[0].Attributes["ApproximateReceiveCount"])
			first := len(counts) == 1
			mu.Unlock()
			if first {
				panic("first delivery blows up")
			}
			return events.SQSEventResponse{}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	send(t, q, "t", msgs(1))
	eventually(t, "redelivery after the panic", func() bool { return depthOf(t, q, "t") == depth{} })
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(counts, []string{"1", "2"}) {
		t.Errorf("receive counts seen %v, want [1 2]", counts)
	}
}

func TestPollerWorkers(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	const workers = 4
	var cur, peak, handled atomic.Int32
	p := &Poller{Queues: q, Target: "t", Workers: workers, BatchSize: 2, Logger: slog.New(failOnError{t}),
		Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			n := cur.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			defer cur.Add(-1)
			if len(ev.Records) > 2 {
				t.Errorf("batch of %d, BatchSize is 2", len(ev.Records))
			}
			handled.Add(int32(len(ev.Records)))
			return events.SQSEventResponse{}, nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var senders sync.WaitGroup
	for range 4 { // concurrent writers alongside the workers: no SQLITE_BUSY
		senders.Go(func() {
			if err := q.SendBatch(ctx, "t", msgs(10)); err != nil {
				t.Errorf("SendBatch: %v", err)
			}
		})
	}
	senders.Wait()
	eventually(t, "all 40 messages", func() bool { return handled.Load() == 40 && depthOf(t, q, "t") == depth{} })
	cancel()
	<-done
	if peak.Load() > workers {
		t.Errorf("%d batches ran at once, Workers is %d", peak.Load(), workers)
	}
}

// failOnError fails the test on any error the poller logs.
type failOnError struct{ t *testing.T }

func (h failOnError) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h failOnError) Handle(_ context.Context, r slog.Record) error {
	var attrs []string
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a.String()); return true })
	h.t.Errorf("poller logged an error: %s %v", r.Message, attrs)
	return nil
}
func (h failOnError) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h failOnError) WithGroup(string) slog.Handler      { return h }

func TestPollerRejectsBadConfig(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	h := func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	for name, p := range map[string]*Poller{
		"no handler":     {Queues: q, Target: "t"},
		"no queues":      {Target: "t", Handler: h},
		"unknown target": {Queues: q, Target: "x", Handler: h},
	} {
		if err := p.Run(context.Background()); err == nil {
			t.Errorf("%s: Run accepted it", name)
		}
	}
}
