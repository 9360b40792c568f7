package ingress

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Replayer queues archived events again, through the routing the ingress
// uses and onto the same queues, each marked profile.Event.Replay and with
// its original id: delivery's ordering by state skips what is older than
// the target holds, and pushes again what is as new (a record deleted by
// hand in the target comes back). `profilesync replay` drives it.
type Replayer struct {
	Router Router
	Queue  Queue
	// Fetchable and Bodies are the ingress's: an envelope too large for
	// the queue goes thin or is stored aside as it did at ingress.
	Fetchable map[string]bool
	Bodies    BodyStore
	Log       *slog.Logger
}

// Replayed is one event a replay queued (or, dry, would queue).
type Replayed struct {
	Event profile.Event
	// Targets are the targets the routing gives today, restricted to the
	// replay's; Archived those the event went to when it came in.
	Targets  []string
	Archived []string
}

// ReplayBatch bounds the messages sent per target in one SendBatch: a
// long range is queued in pieces, not held whole.
const ReplayBatch = 100

// Plan routes each event as the ingress would and keeps the targets only
// restricts to (all when only is empty). Events routed nowhere are left
// out.
func (r *Replayer) Plan(evs []ArchivedEvent, only []string) []Replayed {
	out := make([]Replayed, 0, len(evs))
	for _, a := range evs {
		e := a.Event
		e.Replay = true
		var targets []string
		for _, t := range r.Router.Route(e) {
			if len(only) == 0 || slices.Contains(only, t) {
				targets = append(targets, t)
			}
		}
		if len(targets) > 0 {
			out = append(out, Replayed{Event: e, Targets: targets, Archived: a.Targets})
		}
	}
	return out
}

// Send sends the planned events to their targets' queues, in pieces of
// ReplayBatch messages, and returns how many went to each target. On an
// error the counts say what was sent before it: replaying again is safe.
func (r *Replayer) Send(ctx context.Context, plan []Replayed) (map[string]int, error) {
	h := &Handler{Queue: r.Queue, Fetchable: r.Fetchable, Bodies: r.Bodies, Log: r.Log}
	log := h.log().With("replay", true)
	sent := map[string]int{}
	batches := map[string][]Message{}
	flush := func(target string) error {
		msgs := batches[target]
		if len(msgs) == 0 {
			return nil
		}
		if err := r.Queue.SendBatch(ctx, target, msgs); err != nil {
			return fmt.Errorf("queue %d replayed events for %s: %w", len(msgs), target, err)
		}
		sent[target] += len(msgs)
		batches[target] = nil
		return nil
	}
	for _, p := range plan {
		bodies, err := profile.MarshalFor(p.Event, p.Targets)
		if err != nil {
			return sent, fmt.Errorf("replay event %s: %w", p.Event.ID, err)
		}
		for j, target := range p.Targets {
			m, _, err := h.message(ctx, log, profile.NewEnvelope(target, p.Event), bodies[j])
			if err != nil {
				return sent, fmt.Errorf("replay event %s for %s: %w", p.Event.ID, target, err)
			}
			m.Attributes["origin"] = "replay"
			m.ID = fmt.Sprintf("r%d", len(batches[target]))
			batches[target] = append(batches[target], m)
			if len(batches[target]) == ReplayBatch {
				if err := flush(target); err != nil {
					return sent, err
				}
			}
		}
	}
	targets := make([]string, 0, len(batches))
	for t := range batches {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	for _, t := range targets {
		if err := flush(t); err != nil {
			return sent, err
		}
	}
	return sent, nil
}
