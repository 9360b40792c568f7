package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/target"
)

// Handler delivers one target's queue messages.
type Handler struct {
	Target    string
	Mapping   *mapping.Mapping
	Connector target.Connector
	// Fetchers complete thin events, by source name.
	Fetchers map[string]source.Fetcher
	State    StateStore // required: MemoryState when nothing durable is at hand
	Log      *slog.Logger
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
)

// Handle is the Lambda handler: SQS batch in, the failed message ids out.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		log := h.log().With("target", h.Target, "message_id", msg.MessageId,
			"receive_count", msg.Attributes["ApproximateReceiveCount"])
		out, env, err := h.deliverMessage(ctx, msg.Body)
		if env != nil {
			log = log.With("event_id", env.Event.ID, "event_type", string(env.Event.Type),
				"source", env.Event.Source, "subject", env.Event.Subject)
		}
		if err != nil {
			fe := fault.As(err)
			log.Warn("delivery failed", "class", fe.Class.String(), "status", fe.Status,
				"code", fe.Code, "retry_after_s", int(fe.RetryAfter/time.Second), "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		log.Info("delivery done", "outcome", string(out))
	}
	return resp, nil
}

// deliverMessage decodes one message body and applies it.
func (h *Handler) deliverMessage(ctx context.Context, body string) (Outcome, *profile.Envelope, error) {
	env, err := profile.UnmarshalEnvelope([]byte(body))
	if err != nil {
		return "", nil, fault.Wrap(fault.Permanent, err)
	}
	if env.Target != h.Target {
		return "", &env, fault.Wrap(fault.Permanent, fmt.Errorf("message for target %q reached %q", env.Target, h.Target))
	}
	out, err := h.Deliver(ctx, env.Event)
	return out, &env, err
}

// Deliver applies one event to the target.
func (h *Handler) Deliver(ctx context.Context, e profile.Event) (Outcome, error) {
	rules := h.Mapping.RulesFor(e)
	if !rules.Subscribes(e) {
		return NotRouted, nil
	}
	st, found, err := h.State.Get(ctx, h.Target, e.Subject)
	if err != nil {
		return "", fmt.Errorf("read state: %w", err)
	}
	if found && e.OccurredAt.Before(st.LastEventAt) {
		return Stale, nil
	}
	if e.Type == profile.Deleted {
		return h.delete(ctx, e, st)
	}
	p := e.Profile
	if p == nil {
		if p, err = h.fetch(ctx, e); err != nil {
			if errors.Is(err, source.ErrNotFound) {
				// Deleted at the source since: its delete event follows.
				return SourceGone, nil
			}
			return "", err
		}
	}
	if p.Sub == "" {
		cp := *p
		cp.Sub = e.Subject
		p = &cp
	}
	key, fields, err := h.Mapping.Record(rules, p)
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	hash, err := hashRecord(key, fields)
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	next := State{LastEventAt: e.OccurredAt, LastEventID: e.ID, RecordID: st.RecordID, Hash: hash}
	if found && !st.Deleted && st.Hash == hash {
		return Unchanged, h.State.Put(ctx, h.Target, e.Subject, next)
	}
	res, err := h.Connector.Upsert(ctx, target.Record{Key: key, Fields: fields, Event: e})
	if err != nil {
		return "", err
	}
	if res.ID != "" {
		next.RecordID = res.ID
	}
	if err := h.State.Put(ctx, h.Target, e.Subject, next); err != nil {
		return "", fmt.Errorf("write state: %w", err)
	}
	return Delivered, nil
}

func (h *Handler) delete(ctx context.Context, e profile.Event, st State) (Outcome, error) {
	key, err := h.Mapping.KeyOf(e)
	if err != nil {
		return "", fault.Wrap(fault.Permanent, err)
	}
	if err := h.Connector.Delete(ctx, target.Record{Key: key, Event: e}); err != nil {
		return "", err
	}
	tomb := State{LastEventAt: e.OccurredAt, LastEventID: e.ID, RecordID: st.RecordID, Deleted: true}
	if err := h.State.Put(ctx, h.Target, e.Subject, tomb); err != nil {
		return "", fmt.Errorf("write state: %w", err)
	}
	return Deleted, nil
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

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
