package jobs

import (
	"context"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// CleanupCounts is what a cleanup run did (or, dry, would do).
type CleanupCounts struct {
	StateExpired     int64 // sync-state rows deleted
	AbandonedExpired int64 // abandoned-log rows deleted
	Listed           int64 // profiles read from the CIAM
	ConsentsRevoked  int64 // consent_revoked events (subject and purpose)
	Inactive         int64 // deleted events (subjects)
	Messages         int64 // queue messages: one per event and routed target
	Unrouted         int64 // events no target subscribes to
	Invalid          int64 // subjects skipped: not a valid event subject
}

// Due is one event a cleanup owes a subject.
type Due struct {
	Type    profile.EventType // consent_revoked or deleted
	Purpose string            // consent_revoked's
}

// Due returns the events the cleanup owes p in a run started at start,
// given the start of the last complete run (zero: none).
//
// A run queues only what became due since the last complete run, so a
// subject is not sent the same revocation every night: a grant that
// lapsed (granted at before start-OlderThan, and after since-OlderThan);
// a consent not granted, revoked since the last run (a revocation the
// webhook may have missed; the first run sends every one); a subject
// whose activity crossed the inactivity limit since the last run. A
// re-send is harmless (the target's mapping applies it idempotently).
// A purpose the profile has no entry for is not a revocation: sending it
// would let an unsubscribe policy create records for subjects that never
// subscribed. A grant with no time cannot be said to have lapsed.
func (c *Cleanup) Due(p *profile.Profile, start, since time.Time) []Due {
	var out []Due
	for _, lc := range c.LapsedConsents {
		cs, ok := p.Consents[lc.Purpose]
		if !ok {
			continue
		}
		if cs.Granted && cs.At != nil && crossed(*cs.At, start, since, lc.OlderThan) ||
			!cs.Granted && (since.IsZero() || cs.At != nil && !cs.At.Before(since)) {
			out = append(out, Due{Type: profile.ConsentRevoked, Purpose: lc.Purpose})
		}
	}
	if in := c.Inactive; in != nil {
		if t, ok := in.activity(p); ok && crossed(t, start, since, in.OlderThan) {
			out = append(out, Due{Type: profile.Deleted})
		}
	}
	return out
}

// crossed reports whether t+limit falls before start and, after a
// previous run, not before since.
func crossed(t, start, since time.Time, limit time.Duration) bool {
	if !t.Before(start.Add(-limit)) {
		return false
	}
	return since.IsZero() || !t.Before(since.Add(-limit))
}

// activity is the subject's last activity: the Field's time, else
// updated_at.
func (in *Inactive) activity(p *profile.Profile) (time.Time, bool) {
	if name, ok := strings.CutPrefix(in.Field, "custom."); ok {
		if s, ok := p.Custom[name].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, true
			}
		}
	}
	if p.UpdatedAt == nil || p.UpdatedAt.IsZero() {
		return time.Time{}, false
	}
	return *p.UpdatedAt, true
}

// Keep applies the job's filter.
func (j *Job) Keep(p *profile.Profile) (bool, error) {
	if j.Filter == nil {
		return true, nil
	}
	return j.Filter.Holds(p, nil)
}

// ListPage reads one page of l, waiting out a throttled CIAM (within
// ctx), as an export run does.
func ListPage(ctx context.Context, l source.Lister, cursor string, size int) ([]*profile.Profile, string, error) {
	type page struct {
		profiles []*profile.Profile
		next     string
	}
	p, err := fault.Wait(ctx, 8, func(ctx context.Context) (page, error) {
		ps, next, err := l.List(ctx, cursor, size)
		return page{ps, next}, err
	})
	return p.profiles, p.next, err
}
