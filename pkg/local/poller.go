package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// SyncFunc is a sync Lambda's handler: an SQS batch in, the messages that
// failed out (ReportBatchItemFailures).
type SyncFunc func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// Poller defaults.
const (
	DefaultBatchSize = 10
	DefaultWorkers   = 1
	DefaultIdle      = 200 * time.Millisecond
)

// Poller is the local twin of the Lambda event source mapping of one target:
// it receives batches from the target's queue, invokes Handler, and deletes
// what the handler did not report as failed. Failed messages come back after
// the visibility timeout and, after MaxReceiveCount deliveries, go to the DLQ.
type Poller struct {
	Queues  *Queues
	Target  string
	Handler SyncFunc
	// BatchSize is the most messages per invocation (default 10).
	BatchSize int
	// Workers is how many batches run at once (default 1), the twin of the
	// event source mapping's MaximumConcurrency.
	Workers int
	// Idle is the longest wait between receives while the queue is empty
	// (default 200 ms); the wait starts at a quarter of it and doubles. A
	// send, a redrive or a visibility reset on the queue ends it at once.
	Idle time.Duration
	// Ready, when set, is waited for before each receive: the delivery
	// Guard's Ready, so a back-end that is down pauses the whole poller
	// instead of having its messages received and failed.
	Ready func(ctx context.Context) error
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Run polls until ctx is done, then waits for the batches in hand to finish
// (they run on a context that is not cancelled, bounded by the visibility
// timeout, as a Lambda invocation is bounded by its timeout) and returns nil.
// A receive or delete error is logged and retried; it does not stop Run.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.check(); err != nil {
		return err
	}
	workers := p.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Wait()
	return nil
}

func (p *Poller) check() error {
	if p.Queues == nil || p.Handler == nil {
		return errors.New("poller: Queues and Handler are required")
	}
	if _, err := p.Queues.target(p.Target); err != nil {
		return fmt.Errorf("poller: %w", err)
	}
	return nil
}

func (p *Poller) work(ctx context.Context) {
	t, _ := p.Queues.target(p.Target)
	idle := p.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	wait := idle / 4
	for ctx.Err() == nil {
		if p.Ready != nil {
			if err := p.Ready(ctx); err != nil {
				continue // ctx is done
			}
		}
		changed := t.changed() // before the receive, so no send is missed
		n, err := p.PollOnce(ctx)
		if err != nil && ctx.Err() == nil {
			p.logger().ErrorContext(ctx, "poll failed", "target", p.Target, "error", err)
		}
		if n > 0 {
			wait = idle / 4
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-changed:
			wait = idle / 4
		case <-timer.C:
			wait = min(wait*2, idle)
		}
		timer.Stop()
	}
}

// PollOnce receives one batch and processes it: the handler runs, then every
// message it did not report as failed is deleted. It returns how many
// messages were received. A handler error or panic is a whole-batch failure
// and is logged, not returned: as with Lambda, nothing is deleted.
func (p *Poller) PollOnce(ctx context.Context) (int, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	size := p.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	msgs, err := p.Queues.Receive(ctx, p.Target, size)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	cfg, _ := p.Queues.Config(p.Target)
	// The batch runs to its end even when ctx is cancelled (shutdown), within
	// the visibility timeout, as Lambda bounds an invocation by its timeout.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.VisibilityTimeout)
	defer cancel()
	// The batch's state writes, sync log entries and notices commit with
	// its deletes, in one transaction (scope.go).
	sctx, sc := p.Queues.db.withScope(bctx)
	done := p.handle(sctx, msgs)
	keys, err := p.Queues.receiptKeys(done)
	if err != nil {
		return len(msgs), err
	}
	var last func(*sql.Tx, bool) error
	if len(keys) > 0 {
		last = func(tx *sql.Tx, lost bool) error {
			if lost {
				p.logger().WarnContext(ctx, "a newer state landed while the batch ran; its messages are delivered again",
					"target", p.Target, "batch_size", len(msgs))
				return nil
			}
			return p.Queues.deleteTx(bctx, tx, keys)
		}
	}
	if err := sc.commit(bctx, last); err != nil {
		return len(msgs), fmt.Errorf("commit the batch: %w", err)
	}
	return len(msgs), nil
}

// handle invokes the handler and returns the receipts of the messages to
// delete, following Lambda's rules for a partial batch response.
func (p *Poller) handle(ctx context.Context, msgs []events.SQSMessage) []string {
	log := p.logger().With("target", p.Target, "batch_size", len(msgs))
	resp, err := p.invoke(ctx, events.SQSEvent{Records: msgs})
	if err != nil {
		log.ErrorContext(ctx, "sync handler failed the whole batch", "error", err)
		return nil
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	byID := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		byID[m.MessageId] = true
	}
	for _, f := range resp.BatchItemFailures {
		// Lambda treats an empty or unknown identifier as a failure of the
		// whole batch.
		if !byID[f.ItemIdentifier] {
			log.ErrorContext(ctx, "sync handler reported an unknown item; whole batch failed", "item_identifier", f.ItemIdentifier)
			return nil
		}
		failed[f.ItemIdentifier] = true
	}
	done := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if failed[m.MessageId] {
			log.WarnContext(ctx, "message failed; it returns after the visibility timeout",
				"message_id", m.MessageId, "receive_count", m.Attributes["ApproximateReceiveCount"])
			continue
		}
		done = append(done, m.ReceiptHandle)
	}
	return done
}

// invoke calls the handler as the Lambda runtime would: with a Lambda
// context, and a panic turned into an error instead of a dead poller.
func (p *Poller) invoke(ctx context.Context, ev events.SQSEvent) (resp events.SQSEventResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.logger().ErrorContext(ctx, "sync handler panicked", "target", p.Target, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newUUID(),
		InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + AccountID + ":function:sync-" + p.Target,
	})
	return p.Handler(ctx, ev)
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// newUUID is a random (version 4) UUID, the shape of Lambda request ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
