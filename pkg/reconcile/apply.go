package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Queue is where applied changes go: the target's queue, as the ingress
// writes to it (ingress.Queue: SQS on AWS, the local stack's queues).
type Queue = ingress.Queue

// batchSize is SQS's SendMessageBatch limit.
const batchSize = 10

// maxMessage is SQS's message size limit; the ingress stores larger
// envelopes aside, which a reconciliation does not (they are counted
// and skipped: the next real event of the subject carries them).
const maxMessage = 256 * 1024

// applier batches the synthetic events onto the target's queue.
type applier struct {
	q       Queue
	target  string
	run     string
	now     time.Time
	n       int
	sent    int64
	pending []ingress.Message
	// Oversized counts events too large for a message.
	oversized int64
}

// add enqueues the event mk builds under the next message id.
func (a *applier) add(ctx context.Context, subject string, mk func(id string) profile.Event) error {
	a.n++
	id := fmt.Sprintf("reconcile-%s-%d", a.run, a.n)
	e := mk(id)
	body, err := profile.NewEnvelope(a.target, e).Marshal()
	if err != nil {
		return fmt.Errorf("reconcile %s: encode event %s: %w", a.target, id, err)
	}
	if len(body) > maxMessage {
		a.oversized++
		return nil
	}
	a.pending = append(a.pending, ingress.Message{ID: id, Body: body, Attributes: map[string]string{
		"event_id": id, "event_type": string(e.Type), "source": e.Source, "origin": Origin,
	}})
	if len(a.pending) == batchSize {
		return a.flush(ctx)
	}
	return nil
}

func (a *applier) flush(ctx context.Context) error {
	if len(a.pending) == 0 {
		return nil
	}
	if err := a.q.SendBatch(ctx, a.target, a.pending); err != nil {
		return fmt.Errorf("reconcile %s: enqueue: %w", a.target, err)
	}
	a.sent += int64(len(a.pending))
	a.pending = a.pending[:0]
	return nil
}
