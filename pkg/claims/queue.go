package claims

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// QueueName is the verifier's queue, as the ingress names it (a target
// name no mapping may take: mapping names are lower-case letters, digits
// and '-', and this one is reserved).
const QueueName = "claims"

// Cause of a verifier message given up while its claim stays pending.
const CauseUnavailable = "authority unavailable past retry_for"

// RetryQueue is what the verifier's queue consumer needs from its queue:
// the sync functions' retry ports (backoff by visibility, a dead-letter
// queue with the reason).
type RetryQueue interface {
	delivery.Visibility
	delivery.DeadLetters
}

// QueueHandler consumes the verifier's queue: profile events the ingress
// routed because a rule may apply. It is the asynchronous way in.
type QueueHandler struct {
	Verifier *Verifier
	Queue    RetryQueue
	// Policy schedules retries while an authority is down; its Budget is
	// the longest retry_for of the rules (delivery.Policy's defaults
	// otherwise).
	Policy delivery.Policy
	// Bodies reads envelopes stored aside (optional, as in the sync
	// functions).
	Bodies delivery.StoredBodies
	// Notifier hears what became of each message (ProfileSynced with the
	// verdicts as its outcome, SyncAbandoned), as a sync function's does;
	// Retries hears of each retry scheduled (the local stack's notices,
	// which `profilesync send` follows). Both optional.
	Notifier delivery.Notifier
	Retries  delivery.Notifier
}

// Handle processes one SQS batch, reporting the messages to retry.
func (h *QueueHandler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		if err := h.handleOne(ctx, msg); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

// errRetry marks a message to try again.
var errRetry = errors.New("retry")

// settled is what became of one message, for the notices.
type settled struct {
	env     *profile.Envelope
	outcome string
	retry   *delivery.Notice
	dead    *delivery.Reason
}

func (h *QueueHandler) handleOne(ctx context.Context, msg events.SQSMessage) error {
	var st settled
	err := h.handle(ctx, msg, &st)
	if st.env == nil {
		return err
	}
	e := st.env.Event
	n := delivery.Notice{Target: QueueName, Subject: e.Subject, EventID: e.ID, EventType: string(e.Type), Source: e.Source, At: h.Verifier.now()}
	switch {
	case st.retry != nil:
		if h.Retries != nil {
			r := *st.retry
			r.Type, r.Target, r.Subject, r.EventID, r.EventType, r.Source, r.At = delivery.NoticeRetrying, n.Target, n.Subject, n.EventID, n.EventType, n.Source, n.At
			_ = h.Retries.Notify(ctx, []delivery.Notice{r})
		}
		return err
	case st.dead != nil:
		n.Type, n.Outcome, n.Reason, n.Attempts = delivery.NoticeAbandoned, "abandoned", st.dead.String(), st.dead.Attempts
	case err == nil:
		n.Type, n.Outcome = delivery.NoticeSynced, st.outcome
	default:
		return err
	}
	if h.Notifier != nil {
		if nerr := h.Notifier.Notify(ctx, []delivery.Notice{n}); nerr != nil {
			h.Verifier.log().LogAttrs(ctx, slog.LevelWarn, "claims: notice not published", slog.String("error", nerr.Error()))
		}
	}
	return err
}

// outcomeOf sums up a message's verdicts: "hcp verified", "hcp pending,
// corporate verified (cached)", or "no claim to verify".
func outcomeOf(results []Result) string {
	if len(results) == 0 {
		return "no claim to verify"
	}
	parts := make([]string, len(results))
	for i, r := range results {
		parts[i] = r.Rule + " " + string(r.Decision.Verdict)
		if r.Cached {
			parts[i] += " (cached)"
		}
	}
	return strings.Join(parts, ", ")
}

func (h *QueueHandler) handle(ctx context.Context, msg events.SQSMessage, st *settled) error {
	v := h.Verifier
	log := v.log()
	now := v.now()
	env, err := profile.UnmarshalEnvelope([]byte(msg.Body))
	if err != nil {
		return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "MALFORMED", err.Error()), st)
	}
	if env.Stored != "" {
		if h.Bodies == nil {
			return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "NO_BODY_STORE", "envelope stored aside and this function has no body store"), st)
		}
		full, err := h.Bodies.Get(ctx, env.Stored)
		if errors.Is(err, delivery.ErrNotStored) {
			return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "NOT_STORED", err.Error()), st)
		}
		if err != nil {
			return h.retry(ctx, msg, now, err, st)
		}
		if env, err = profile.UnmarshalEnvelope(full); err != nil {
			return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "MALFORMED", err.Error()), st)
		}
	}
	st.env = &env
	e := env.Event
	prof := e.Profile
	if prof == nil {
		f, ok := v.Fetchers[e.Source]
		if !ok {
			return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "NO_FETCHER", "thin event from a source without a fetch API"), st)
		}
		prof, err = f.Fetch(ctx, e.Subject)
		if errors.Is(err, source.ErrNotFound) {
			log.LogAttrs(ctx, slog.LevelInfo, "claims: subject gone, nothing to verify", slog.String("event_id", e.ID))
			st.outcome = "subject gone"
			return nil
		}
		if err != nil {
			return h.retry(ctx, msg, now, err, st)
		}
	}
	results, err := v.Verify(ctx, Input{Source: e.Source, Profile: prof, Event: &e, Environment: e.Environment, ClientID: e.ClientID}, Options{})
	if err != nil {
		if errors.Is(err, ErrNoUpdater) {
			return h.deadLetterAs(ctx, msg, now, delivery.CausePermanent, fault.New(fault.Permanent, 0, "NO_UPDATER", err.Error()), st)
		}
		return h.retry(ctx, msg, now, err, st)
	}
	for _, r := range results {
		if r.Retry {
			return h.retry(ctx, msg, now, fault.New(fault.Transient, 0, "AUTHORITY_UNAVAILABLE", r.Decision.Reason), st)
		}
	}
	st.outcome = outcomeOf(results)
	return nil
}

func (h *QueueHandler) retry(ctx context.Context, msg events.SQSMessage, now time.Time, err error, st *settled) error {
	a := delivery.AttemptOf(msg, now)
	if cause, give := h.Policy.Abandon(a, err); give {
		if cause == delivery.CauseBudget {
			cause = CauseUnavailable
		}
		return h.deadLetterAs(ctx, msg, now, cause, err, st)
	}
	st.retry = &delivery.Notice{Attempts: a.N, Class: fault.ClassOf(err).String(), Reason: fault.As(err).Error()}
	d := h.Policy.Delay(a, err)
	if verr := h.Queue.ChangeVisibility(ctx, msg.ReceiptHandle, d); verr != nil {
		h.Verifier.log().LogAttrs(ctx, slog.LevelWarn, "claims: could not schedule the retry", slog.String("error", verr.Error()))
	}
	h.Verifier.log().LogAttrs(ctx, slog.LevelInfo, "claims: retrying", slog.String("message_id", msg.MessageId),
		slog.Int("attempt", a.N), slog.Duration("delay", d), slog.String("error", fault.As(err).Error()))
	return errRetry
}

func (h *QueueHandler) deadLetterAs(ctx context.Context, msg events.SQSMessage, now time.Time, cause string, err error, st *settled) error {
	r := delivery.ReasonOf(err, delivery.AttemptOf(msg, now))
	r.Cause = cause
	if st != nil {
		st.dead = &r
	}
	if dlErr := h.Queue.DeadLetter(ctx, msg, r); dlErr != nil {
		h.Verifier.log().LogAttrs(ctx, slog.LevelError, "claims: dead-letter failed; the queue retries", slog.String("error", dlErr.Error()))
		return errRetry
	}
	h.Verifier.log().LogAttrs(ctx, slog.LevelWarn, "claims: dead-lettered", slog.String("message_id", msg.MessageId), slog.String("reason", r.String()))
	return nil
}
