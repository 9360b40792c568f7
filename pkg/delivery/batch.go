package delivery

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// deliverBatch applies a queue batch and returns one result per message.
// The batch's subjects stay locked throughout, and their states are read
// in one request when the store can (BatchStateReader). When the connector is a
// connector.Batcher, the first upsert of each subject goes out in calls of at
// most MaxBatch records and each record's own error settles its message;
// deletes and any later event of a subject already in the batch follow
// one by one, in batch order, so they see the state the batch left.
func (h *Handler) deliverBatch(ctx context.Context, msgs []events.SQSMessage) []result {
	res := make([]result, len(msgs))
	subjects := make([]string, 0, len(msgs))
	for i, m := range msgs {
		res[i].env, res[i].err = h.decode(ctx, m.Body)
		if res[i].err == nil {
			subjects = append(subjects, res[i].env.Event.Subject)
		}
	}
	defer h.locks.lock(subjects...)()
	ctx = h.prefetch(ctx, h.stateReads(res))
	b, ok := h.Connector.(connector.Batcher)
	if !ok || b.MaxBatch() < 2 {
		for i := range res {
			if res[i].err == nil {
				res[i].take(h.deliver(ctx, res[i].env.Event))
			}
		}
		return res
	}
	var (
		later  []int
		queued []int
		plans  = map[int]plan{}
		seen   = map[string]bool{}
		// deferred are first events prepared, then left to the one-by-one
		// pass: their state read serves again (restoreState).
		deferred = map[int]bool{}
	)
	var firsts []int
	for i := range res {
		if res[i].err != nil {
			continue
		}
		e := res[i].env.Event
		if seen[e.Subject] {
			later = append(later, i)
			continue
		}
		seen[e.Subject] = true
		firsts = append(firsts, i)
	}
	prepared := h.prepareAll(ctx, res, firsts)
	for _, i := range firsts {
		pl, err := prepared[i].pl, prepared[i].err
		switch {
		case err != nil || pl.decided != "":
			res[i].take(pl.result(pl.decided, err))
		case pl.delete || pl.optOut:
			later, deferred[i] = append(later, i), true
		default:
			queued, plans[i] = append(queued, i), pl
		}
	}
	for from := 0; from < len(queued); from += b.MaxBatch() {
		chunk := queued[from:min(from+b.MaxBatch(), len(queued))]
		h.upsertChunk(ctx, b, chunk, plans, res)
	}
	// In batch order: a subject's first event may be a delete queued here
	// after its later events were.
	slices.Sort(later)
	for _, i := range later {
		if deferred[i] {
			restoreState(ctx, res[i].env.Event.Subject)
		}
		res[i].take(h.deliver(ctx, res[i].env.Event))
	}
	return res
}

// take sets r to o, keeping r's envelope.
func (r *result) take(o result) {
	o.env = r.env
	*r = o
}

// stateReads are the subjects whose state the batch's decoded events will
// read: those the mapping subscribes to (prepare reads no state for the
// rest).
func (h *Handler) stateReads(res []result) []string {
	out := make([]string, 0, len(res))
	for _, r := range res {
		if r.err == nil && h.Mapping.RulesFor(r.env.Event).Subscribes(r.env.Event) {
			out = append(out, r.env.Event.Subject)
		}
	}
	return out
}

// prepareWorkers bounds the state reads and profile fetches a large batch
// runs at once: a batch of 100 thin events would otherwise fetch one
// profile after another and could outlast the function's timeout.
const prepareWorkers = 8

type prepared struct {
	pl  plan
	err error
}

// prepareAll prepares the events at idx (distinct subjects) concurrently.
func (h *Handler) prepareAll(ctx context.Context, res []result, idx []int) map[int]prepared {
	out := make(map[int]prepared, len(idx))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, prepareWorkers)
	for _, i := range idx {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			var p prepared
			defer func() {
				// A panic here would kill the whole runtime, not one message.
				if r := recover(); r != nil {
					p = prepared{err: fmt.Errorf("prepare: panic: %v", r)}
				}
				mu.Lock()
				out[i] = p
				mu.Unlock()
				<-sem
				wg.Done()
			}()
			p.pl, p.err = h.prepare(ctx, res[i].env.Event)
		}()
	}
	wg.Wait()
	return out
}

// upsertChunk sends one UpsertBatch call and settles each record.
func (h *Handler) upsertChunk(ctx context.Context, b connector.Batcher, chunk []int, plans map[int]plan, res []result) {
	recs := make([]connector.Record, len(chunk))
	for j, i := range chunk {
		recs[j] = plans[i].rec
	}
	results, errs, err := h.batchCall(ctx, b, recs)
	for j, i := range chunk {
		callErr := err
		var r connector.Result
		if callErr == nil {
			r, callErr = results[j], errs[j]
		}
		res[i].take(h.finish(ctx, plans[i], r, callErr))
	}
}

// batchCall runs UpsertBatch under the guard. A call whose every record
// failed retryably tells the guard the back-end is struggling.
func (h *Handler) batchCall(ctx context.Context, b connector.Batcher, recs []connector.Record) ([]connector.Result, []error, error) {
	if h.Guard != nil {
		if err := h.Guard.Wait(ctx); err != nil {
			return nil, nil, err
		}
	}
	results, errs := b.UpsertBatch(ctx, recs)
	if len(results) != len(recs) || len(errs) != len(recs) {
		err := fault.Wrap(fault.Transient, fmt.Errorf("batch upsert answered %d results and %d errors for %d records", len(results), len(errs), len(recs)))
		h.Guard.observe(err)
		return nil, nil, err
	}
	var health error
	for _, err := range errs {
		if err == nil || !fault.Retryable(err) {
			health = nil
			break
		}
		health = err
	}
	h.Guard.observe(health)
	return results, errs, nil
}

// observe is Observe on a guard that may be nil.
func (g *Guard) observe(err error) {
	if g != nil {
		g.Observe(err)
	}
}

// notice describes one settled message for the Notifier.
func (h *Handler) notice(typ string, r result, reason string, attempts int) Notice {
	n := Notice{Type: typ, Target: h.Target, Outcome: string(r.out), RecordID: r.recordID,
		Reason: reason, Attempts: attempts, At: h.now().UTC()}
	if r.env != nil {
		e := r.env.Event
		n.Subject, n.EventID, n.EventType, n.Source = e.Subject, e.ID, string(e.Type), e.Source
	}
	return n
}

// notify tells to about the batch's messages, at most once per batch. A
// failure is logged: the deliveries stand.
func (h *Handler) notify(ctx context.Context, to Notifier, ns []Notice) {
	if to == nil || len(ns) == 0 {
		return
	}
	if err := to.Notify(ctx, ns); err != nil {
		h.log().Error("notify failed; notices dropped", "target", h.Target, "notices", len(ns), "error", err.Error())
	}
}
