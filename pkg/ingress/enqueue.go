package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

// Enqueue routes events a source has already authenticated and decoded to
// their targets' queues, exactly as a webhook's events are: the clock
// clamp, validation, the envelope size rules and one batch per target.
// It is the door for sources that do not come over HTTP (the Cognito
// trigger). Errors wrap ErrUnavailable when a retry may succeed (a queue
// or the body store failed) and source.ErrMalformed when the events are
// invalid; on ErrUnavailable some targets may have been sent to, which
// is safe: consumers are idempotent on the event id.
func (h *Handler) Enqueue(ctx context.Context, evs []profile.Event) (Accepted, error) {
	acc, _, err := h.enqueue(ctx, h.log(), evs, h.now())
	return acc, err
}

// enqueue is Enqueue with the metrics' reason code of a failure:
// ReasonInvalidEvent, ReasonBodyStore, ReasonErasureLedger or
// ReasonEnqueueFailed. The deletes' erasures are recorded pending before
// anything is queued; the events sent are archived (a failure to archive
// is logged, not returned).
func (h *Handler) enqueue(ctx context.Context, log *slog.Logger, evs []profile.Event, now time.Time) (Accepted, string, error) {
	batches, routed, archived, n, err := h.route(ctx, log, evs, now)
	if errors.Is(err, ErrUnavailable) {
		return Accepted{}, ReasonBodyStore, err
	}
	if err != nil {
		return Accepted{}, ReasonInvalidEvent, fmt.Errorf("%w: %w", source.ErrMalformed, err)
	}
	if err := h.openErasures(ctx, evs, routed); err != nil {
		log.Error("erasure ledger write failed; nothing enqueued", "error", err.Error())
		return Accepted{}, ReasonErasureLedger, fmt.Errorf("record pending erasures: %w: %w", ErrUnavailable, err)
	}
	for target, msgs := range batches {
		if err := h.Queue.SendBatch(ctx, target, msgs); err != nil {
			log.Error("enqueue failed", "target", target, "messages", len(msgs), "error", err.Error())
			return Accepted{}, ReasonEnqueueFailed, fmt.Errorf("enqueue for %s: %w: %w", target, ErrUnavailable, err)
		}
	}
	h.archive(ctx, log, archived)
	for i, e := range evs {
		log.Info("webhook accepted", "event_id", e.ID, "event_type", string(e.Type), "source_type", e.SourceType,
			"subject_hash", redact.SubjectHash(e.Subject), "targets", routed[i].Targets)
	}
	return Accepted{Enqueued: n, Events: len(evs), Routed: routed}, "", nil
}
