package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

// Handler delivers one target's queue messages.
type Handler struct {
	Target    string
	Mapping   *mapping.Mapping
	Connector connector.Connector
	// Fetchers complete thin events, by source name, and confirm a delete
	// older than the state.
	Fetchers map[string]source.Fetcher
	State    StateStore // required: MemoryState when nothing durable is at hand
	// Stored reads the envelopes the ingress stored aside for their size
	// (optional: without it such a message is dead-lettered).
	Stored StoredBodies
	Log    *slog.Logger

	// Policy decides retry delays and abandonment; zero is DefaultPolicy.
	Policy Policy
	// Visibility schedules retries. Nil: a failed message comes back after
	// the queue's visibility timeout.
	Visibility Visibility
	// DeadLetters takes abandoned messages. Nil: they are reported failed
	// like any other, and the queue's RedrivePolicy dead-letters them.
	DeadLetters DeadLetters
	// Abandoned records abandoned events (optional).
	Abandoned AbandonedLog
	// Notifier hears of every synced and abandoned message (optional).
	Notifier Notifier
	// Retries hears of every retry scheduled, with the failure's class
	// (optional: the local stack, so `profilesync send` can say why a
	// change is waiting; on AWS the logs and the age alarm say it).
	Retries Notifier
	// Journal hears of every message's decision: the per-record sync log
	// and the metrics (optional).
	Journal Journal
	// LogKey keys the fingerprints of the sync log's field diff (the
	// deployment's sync-log secret on AWS, a generated file locally). Nil:
	// no fingerprints are kept and entries carry no Changes.
	LogKey []byte
	// Guard rate-limits calls to the back-end and pauses them while it is
	// down (optional).
	Guard *Guard
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Counts is read by tests and the local stack (see Counters).
	Counts Counters

	locks subjectLocks
}

// Outcome says what happened to one message.
type Outcome string

const (
	Delivered  Outcome = "delivered"
	Deleted    Outcome = "deleted"
	Stale      Outcome = "skipped_stale"     // older than what the target has
	Unchanged  Outcome = "skipped_unchanged" // no mapped field changed
	NotRouted  Outcome = "skipped_not_subscribed"
	SourceGone Outcome = "skipped_source_gone" // profile deleted at the source since
	Abandon    Outcome = "abandoned"           // dead-lettered with its reason
	Retrying   Outcome = "retrying"            // failed, and scheduled again
	// The mapping's rules decided against a plain sync:
	OptedOut   Outcome = "opted_out"         // required consent not granted: consent.on_revoke applied
	OutOfScope Outcome = "left_scope"        // scope false: on_delete applied
	Ignored    Outcome = "skipped_by_policy" // on_delete / on_revoke ignore, or nothing live to change
)

// result is what became of one message of a batch.
type result struct {
	out      Outcome
	env      *profile.Envelope
	recordID string
	// changes is the field diff of the call made, or of the one that
	// failed (so a retry or a dead letter says what is pending).
	changes []Change
	created bool // the target held no live record of the subject
	err     error
}

// Handle is the Lambda handler: SQS batch in, the failed message ids out.
// A message that failed and may still succeed is rescheduled (Visibility)
// and reported failed; one that is abandoned goes to the DLQ (DeadLetters)
// and counts as processed, so the queue deletes it.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	results := h.deliverBatch(ctx, ev.Records)
	notices := make([]Notice, 0, len(ev.Records))
	var retrying []Notice
	entries := make([]Entry, 0, len(ev.Records))
	for i, msg := range ev.Records {
		r := results[i]
		log := h.log().With("target", h.Target, "message_id", msg.MessageId,
			"receive_count", msg.Attributes["ApproximateReceiveCount"])
		if r.env != nil {
			log = log.With("event_id", r.env.Event.ID, "event_type", string(r.env.Event.Type),
				"source", r.env.Event.Source, "subject_hash", redact.SubjectHash(r.env.Event.Subject))
		}
		if r.err == nil {
			log.Info("delivery done", "outcome", string(r.out))
			n := h.notice(NoticeSynced, r, "", 0)
			notices = append(notices, n)
			entries = append(entries, h.entry(msg.MessageId, r, n))
			continue
		}
		n, retry := h.settle(ctx, log, msg, r)
		entries = append(entries, h.entry(msg.MessageId, result{out: n.outcome(retry), env: r.env, recordID: r.recordID,
			changes: r.changes, created: r.created}, n))
		if retry {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			if n.Type != "" {
				retrying = append(retrying, n)
			}
		} else {
			notices = append(notices, n)
		}
	}
	h.notify(ctx, h.Notifier, notices)
	h.notify(ctx, h.Retries, retrying)
	h.record(ctx, entries)
	return resp, nil
}

// settle decides a failed message's fate. It returns retry=true when the
// message must be reported failed, else the abandonment notice.
func (h *Handler) settle(ctx context.Context, log *slog.Logger, msg events.SQSMessage, r result) (Notice, bool) {
	fe := fault.As(r.err)
	a := AttemptOf(msg, h.now())
	log = log.With("class", fe.Class.String(), "status", fe.Status, "code", fe.Code, "error", r.err.Error())
	if cause, abandon := h.Policy.Abandon(a, r.err); abandon && h.DeadLetters != nil {
		reason := ReasonOf(r.err, a)
		reason.Cause = cause
		if err := h.DeadLetters.DeadLetter(ctx, msg, reason); err != nil {
			log.Error("dead-letter failed; the message is retried", "dlq_error", err.Error())
			return Notice{}, true
		}
		log.Warn("delivery abandoned; message sent to the dead-letter queue", "cause", cause, "attempts", a.N,
			"failing_for_ms", a.Now.Sub(a.FirstFailure).Milliseconds())
		h.recordAbandoned(ctx, log, msg, r.env, reason)
		return h.notice(NoticeAbandoned, result{out: Abandon, env: r.env}, reason.String(), a.N), false
	}
	delay := h.Policy.Delay(a, r.err)
	log.Warn("delivery failed; retry scheduled", "attempt", a.N, "retry_in_ms", delay.Milliseconds())
	if h.Visibility != nil && msg.ReceiptHandle != "" {
		if err := h.Visibility.ChangeVisibility(ctx, msg.ReceiptHandle, delay); err != nil {
			// The queue's visibility timeout applies instead.
			log.Warn("retry scheduling failed", "visibility_error", err.Error())
		}
	}
	n := h.notice(NoticeRetrying, result{out: Retrying, env: r.env}, ReasonOf(r.err, a).String(), a.N)
	n.Class = fe.Class.String()
	return n, true
}

func (h *Handler) recordAbandoned(ctx context.Context, log *slog.Logger, msg events.SQSMessage, env *profile.Envelope, reason Reason) {
	if h.Abandoned == nil {
		return
	}
	a := Abandoned{Target: h.Target, MessageID: msg.MessageId, Reason: reason}
	if env != nil {
		a.Subject, a.EventID, a.EventType, a.Source = env.Event.Subject, env.Event.ID, string(env.Event.Type), env.Event.Source
	}
	if err := h.Abandoned.RecordAbandoned(ctx, a); err != nil {
		// The DLQ holds the message and its reason; the record is a copy.
		log.Error("abandoned record not written", "record_error", err.Error())
	}
}

// decode reads one message body, following a pointer to a body stored
// aside.
func (h *Handler) decode(ctx context.Context, body string) (*profile.Envelope, error) {
	env, err := profile.UnmarshalEnvelope([]byte(body))
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, err)
	}
	if env.Target != h.Target {
		return &env, fault.Wrap(fault.Permanent, fmt.Errorf("message for target %q reached %q", env.Target, h.Target))
	}
	if env.Stored != "" {
		return h.unstore(ctx, &env)
	}
	return &env, nil
}

// Deliver applies one event to the target.
func (h *Handler) Deliver(ctx context.Context, e profile.Event) (Outcome, error) {
	defer h.locks.lock(e.Subject)()
	r := h.deliver(ctx, e)
	return r.out, r.err
}

// deliver applies e; the result's env is the caller's to set.
func (h *Handler) deliver(ctx context.Context, e profile.Event) result {
	pl, err := h.prepare(ctx, e)
	if err != nil || pl.decided != "" {
		return pl.result(pl.decided, err)
	}
	if pl.delete {
		err = h.call(ctx, func(ctx context.Context) error { return h.Connector.Delete(ctx, pl.rec) })
		return h.finish(ctx, pl, connector.Result{}, err)
	}
	if pl.optOut {
		o, ok := h.Connector.(connector.OptOuter)
		if !ok {
			return pl.result("", fault.Wrap(fault.Permanent, fmt.Errorf("mapping %s asks for opt_out but its connector %s has none: use {deactivate: {...}}", h.Mapping.Name, h.Mapping.Connector)))
		}
		err := h.call(ctx, func(ctx context.Context) error { return o.OptOut(ctx, pl.rec) })
		return h.finish(ctx, pl, connector.Result{}, err)
	}
	var res connector.Result
	err = h.call(ctx, func(ctx context.Context) (err error) {
		res, err = h.Connector.Upsert(ctx, pl.rec)
		return err
	})
	return h.finish(ctx, pl, res, err)
}

// plan is a prepared delivery: what to send, and the state to record.
type plan struct {
	e       profile.Event
	rec     connector.Record
	next    State
	delete  bool
	optOut  bool
	cause   mapping.Cause // why the call is made (sync, opt_out, out_of_scope, deleted)
	decided Outcome       // set when no call is needed
	changes []Change      // the field diff against the last record pushed
	created bool          // no live record before this one
}

// result is what became of the plan: out and err, with its diff.
func (pl plan) result(out Outcome, err error) result {
	return result{out: out, recordID: pl.next.RecordID, changes: pl.changes, created: pl.created, err: err}
}

// prepare reads the state, completes a thin event and maps it.
func (h *Handler) prepare(ctx context.Context, e profile.Event) (plan, error) {
	pl := plan{e: e}
	rules := h.Mapping.RulesFor(e)
	if !rules.Subscribes(e) {
		pl.decided = NotRouted
		return pl, nil
	}
	st, found, err := h.readState(ctx, e.Subject)
	if err != nil {
		return pl, fmt.Errorf("read state: %w", err)
	}
	pl.next = State{LastEventAt: e.OccurredAt, LastEventID: e.ID, RecordID: st.RecordID}
	p, at, decided, err := h.order(ctx, e, st, found)
	if err != nil || decided != "" {
		pl.decided = decided
		return pl, err
	}
	pl.next.LastEventAt = at
	if p != nil {
		if p.Sub == "" {
			cp := *p
			cp.Sub = e.Subject
			p = &cp
		}
	}
	d, err := h.Mapping.Decide(e, p)
	if err != nil {
		return pl, fault.Wrap(fault.Permanent, err)
	}
	h.reportDropped(e, d.Dropped)
	live := found && !st.Deleted
	if d.Action == mapping.Skip || (d.IfPresent && !live) {
		// Nothing to send (an ignore policy, or a deactivation of a record
		// the target never had). Remember the event so older ones stay stale.
		pl.decided = Ignored
		if d.Cause == mapping.CauseNotSubscribed {
			pl.decided = NotRouted
		}
		pl.next.Hash, pl.next.Deleted, pl.next.Fields = st.Hash, st.Deleted || d.Ends, st.Fields
		return pl, h.putState(ctx, e.Subject, pl.next)
	}
	pl.cause = d.Cause
	pl.rec = connector.Record{Key: d.Key, Fields: d.Fields, RecordID: st.RecordID, Event: e}
	pl.next.Deleted = d.Ends
	var last map[string]string // the prints of the record the target holds
	if live {
		last = st.Fields
	}
	if d.Action == mapping.Delete {
		pl.delete = true
		pl.changes = diffFields(last, nil, h.Mapping.Log)
		return pl, nil
	}
	if d.Action == mapping.OptOut {
		// The record stays live; no hash, so a consent granted again
		// pushes the whole record.
		pl.optOut = true
		pl.next.Fields = st.Fields
		return pl, nil
	}
	prints := h.fieldPrints(d.Fields)
	pl.changes, pl.next.Fields, pl.created = diffFields(last, prints, h.Mapping.Log), mergePrints(last, prints), !live
	if pl.next.Hash, err = hashRecord(d.Key, d.Fields); err != nil {
		return pl, fault.Wrap(fault.Permanent, err)
	}
	if d.Cause == mapping.CauseSync && live && st.Hash == pl.next.Hash && !e.Repairs() {
		pl.decided, pl.changes, pl.created = Unchanged, nil, false
		return pl, h.putState(ctx, e.Subject, pl.next)
	}
	return pl, nil
}

// putState records a decision that made no call; a newer state already
// there is fine.
func (h *Handler) putState(ctx context.Context, subject string, st State) error {
	if err := h.State.Put(ctx, h.Target, subject, st); err != nil && !errors.Is(err, ErrStaleState) {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// finish records the state after the connector call.
func (h *Handler) finish(ctx context.Context, pl plan, res connector.Result, callErr error) result {
	if callErr != nil {
		return pl.result("", callErr)
	}
	if res.ID != "" {
		pl.next.RecordID = res.ID
	}
	err := h.State.Put(ctx, h.Target, pl.e.Subject, pl.next)
	if errors.Is(err, ErrStaleState) {
		// A newer event was applied while this call was in flight, and the
		// back-end may have taken this older call last: put the newest
		// known state back.
		out, id, err := h.reapply(ctx, pl)
		return result{out: out, recordID: id, err: err}
	}
	if err != nil {
		return pl.result("", fmt.Errorf("write state: %w", err))
	}
	switch {
	case pl.cause == mapping.CauseOptOut:
		return pl.result(OptedOut, nil)
	case pl.cause == mapping.CauseOutOfScope:
		return pl.result(OutOfScope, nil)
	case pl.delete:
		return pl.result(Deleted, nil)
	}
	return pl.result(Delivered, nil)
}

func (h *Handler) fetch(ctx context.Context, e profile.Event) (*profile.Profile, error) {
	f := h.Fetchers[e.Source]
	if f == nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("event carries no profile and source %q has no profile API configured", e.Source))
	}
	p, err := f.Fetch(ctx, e.Subject)
	if err != nil {
		return nil, fmt.Errorf("fetch profile from %s: %w", e.Source, err)
	}
	return p, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
