package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

// Counters count the ordering and mapping decisions that deserve a second
// look. Each has a WARN log line beside it, which is what an operator reads
// on AWS; the numbers serve tests and the local stack. The zero value is
// ready.
type Counters struct {
	// Stale counts events skipped because the target holds a newer change.
	Stale atomic.Int64
	// OlderDeletes counts deletes older than the state that were applied
	// anyway: the source no longer has the subject, or cannot be asked.
	OlderDeletes atomic.Int64
	// VersionClamped counts profile versions (updated_at) more than
	// profile.ClockTolerance ahead of our clock, taken as now.
	VersionClamped atomic.Int64
	// InvalidDropped counts mapped fields left out (or given their default)
	// because a transform could not convert the value (on_invalid: drop).
	InvalidDropped atomic.Int64
}

// order decides where e stands against the subject's state st, completing
// a thin event on the way. It returns the profile to map (nil for a
// delete), the time to record as the state's LastEventAt, and an outcome
// when nothing is to be sent.
//
// The sender's event time orders only what carries nothing better: a
// profile's own version (updated_at) orders a snapshot, and a profile
// fetched now is the source's current truth, as new as anything the target
// holds. A delete is never dropped on its time alone (see olderDelete).
func (h *Handler) order(ctx context.Context, e profile.Event, st State, found bool) (*profile.Profile, time.Time, Outcome, error) {
	canFetch := h.Fetchers[e.Source] != nil
	switch {
	case e.Type == profile.Deleted:
		if !found || !e.OccurredAt.Before(st.LastEventAt) {
			return nil, e.OccurredAt, "", nil
		}
		// Applied, the state keeps its newer time: the store refuses to go back.
		out, err := h.olderDelete(ctx, e, st)
		return nil, st.LastEventAt, out, err
	case e.Profile != nil && !(found && st.Deleted && canFetch):
		at := h.version(e, e.Profile, e.OccurredAt)
		if found && at.Before(st.LastEventAt) {
			h.stale(e, st, at, "event older than the last change applied; skipped")
			return nil, at, Stale, nil
		}
		return e.Profile, at, "", nil
	}
	// A thin event, or a snapshot that would bring back a subject the
	// target deleted: the source's current profile decides. Without an
	// updated_at it takes the event's time, not the fetch's: the state
	// stays on the sender's clock, so a delete sent after it by a clock a
	// little behind ours is not taken for an older one.
	p, err := h.fetch(ctx, e)
	if errors.Is(err, source.ErrNotFound) {
		// Deleted at the source since: its delete event follows.
		return nil, time.Time{}, SourceGone, nil
	}
	if err != nil {
		return nil, time.Time{}, "", err
	}
	at := h.version(e, p, e.OccurredAt)
	if !found || !at.Before(st.LastEventAt) {
		return p, at, "", nil
	}
	if st.Deleted {
		// The erasure the target applied is newer than this profile.
		h.stale(e, st, at, "profile older than the delete applied; skipped")
		return nil, at, Stale, nil
	}
	// The current profile is as new as anything the target holds, whatever
	// the clocks say.
	return p, st.LastEventAt, "", nil
}

// olderDelete decides a delete older than the subject's state. Erasure
// must land: when the source no longer has the subject the delete is
// applied, and so it is when the source cannot be asked. Only a subject
// the source still has keeps its record.
func (h *Handler) olderDelete(ctx context.Context, e profile.Event, st State) (Outcome, error) {
	log := h.orderLog(e, st, e.OccurredAt)
	if h.Fetchers[e.Source] == nil {
		h.Counts.OlderDeletes.Add(1)
		log.Warn("delete older than the last change applied; the source has no profile API, so the delete is applied")
		return "", nil
	}
	_, err := h.fetch(ctx, e)
	switch {
	case errors.Is(err, source.ErrNotFound):
		h.Counts.OlderDeletes.Add(1)
		log.Warn("delete older than the last change applied; the source no longer has the subject, so the delete is applied")
		return "", nil
	case err != nil:
		return "", err
	}
	h.stale(e, st, e.OccurredAt, "delete older than the last change applied and the source still has the subject; skipped")
	return Stale, nil
}

// version is p's own updated_at, held to our clock, else fallback.
func (h *Handler) version(e profile.Event, p *profile.Profile, fallback time.Time) time.Time {
	if p.UpdatedAt == nil || p.UpdatedAt.IsZero() {
		return fallback
	}
	v, now := *p.UpdatedAt, h.now()
	if v.After(now.Add(profile.ClockTolerance)) {
		h.Counts.VersionClamped.Add(1)
		h.log().Warn("profile updated_at ahead of our clock; ordered as now", "target", h.Target,
			"event_id", e.ID, "source", e.Source, "subject_hash", redact.SubjectHash(e.Subject), "updated_at", v, "now", now)
		return now
	}
	return v
}

func (h *Handler) stale(e profile.Event, st State, at time.Time, msg string) {
	h.Counts.Stale.Add(1)
	h.orderLog(e, st, at).Warn(msg)
}

func (h *Handler) orderLog(e profile.Event, st State, at time.Time) *slog.Logger {
	return h.log().With("target", h.Target, "event_id", e.ID, "event_type", string(e.Type), "source", e.Source,
		"subject_hash", redact.SubjectHash(e.Subject), "event_at", at, "last_event_at", st.LastEventAt, "last_event_id", st.LastEventID)
}
