package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// Enqueuer routes decoded events to their targets' queues: the ingress's
// own routing (*ingress.Handler's Enqueue, adapted by pkg/wiring).
type Enqueuer interface {
	// Enqueue returns nil when every event is on every queue it routes
	// to; an error wrapping source.ErrMalformed will not pass on a retry.
	Enqueue(ctx context.Context, evs []profile.Event) error
}

// Budget is what the trigger allows itself to enqueue: Cognito waits 5 s
// for a trigger and then fails the user's call, so enqueueing gives up
// with a second to spare.
const Budget = 4 * time.Second

// maxAttempts bounds the enqueue retries within Budget.
const maxAttempts = 3

// The messages of the trigger's ERROR lines: the template's metric filter
// counts them (pkg/samgen), so an alarm fires when an event is lost.
const (
	LogNotEnqueued = "cognito event not enqueued"
	LogNotDecoded  = "cognito event not decoded"
	LogOtherPool   = "cognito event refused: the trigger is attached to a pool this source is not configured for"
)

// Trigger is the Lambda handler of the user pool's Post confirmation
// trigger. It never fails Cognito's call and always answers the event
// unchanged, byte for byte, as Cognito requires.
//
// Why a failed enqueue is logged and not returned as an error: the Post
// confirmation trigger runs after Cognito has confirmed the user. An error
// would show the user a failure of a sign-up that in fact succeeded, and
// would not bring the event back: Cognito retries an invocation only when
// Lambda itself fails or throttles it, within the same 5 s call, and the
// user's next attempt finds the account already confirmed and fires no
// trigger. So the trigger retries the enqueue itself within Budget (three
// attempts), then logs "cognito event not enqueued" at ERROR with the
// event id and subject (never attributes): an alarm on that line, and a
// reconciliation job reading the pool (the Lister) repair what is missed.
// The same holds for an event it cannot decode, or one of another pool.
type Trigger struct {
	Parser *Parser
	Queue  Enqueuer
	Now    func() time.Time // defaults to time.Now
	Log    *slog.Logger     // defaults to slog.Default()
}

// Handle is the Lambda handler: the event in, the same event out.
func (t *Trigger) Handle(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	log := t.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("source", t.Parser.Name())
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	evs, err := t.Parser.Decode(event, now)
	switch {
	case errors.Is(err, source.ErrUnauthenticated):
		log.Error(LogOtherPool, "reason", err.Error())
		return event, nil
	case err != nil:
		log.Error(LogNotDecoded, "reason", err.Error())
		return event, nil
	case len(evs) == 0:
		return event, nil
	}
	ctx, cancel := context.WithTimeout(ctx, Budget)
	defer cancel()
	err = enqueue(ctx, t.Queue, evs)
	for _, e := range evs {
		if err != nil {
			log.Error(LogNotEnqueued, "event_id", e.ID, "subject", e.Subject, "source_type", e.SourceType, "error", err.Error())
			continue
		}
		log.Info("cognito event accepted", "event_id", e.ID, "event_type", string(e.Type), "source_type", e.SourceType)
	}
	return event, nil
}

// enqueue tries up to maxAttempts times while ctx lasts, backing off
// briefly; an invalid event (source.ErrMalformed) is not retried.
func enqueue(ctx context.Context, q Enqueuer, evs []profile.Event) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = q.Enqueue(ctx, evs); err == nil || errors.Is(err, source.ErrMalformed) || attempt == maxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}
