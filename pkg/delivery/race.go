package delivery

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

// reapplyRounds bounds how often reapply chases a state that keeps moving.
const reapplyRounds = 3

// reapply repairs the race where this (older) event's call reached the
// back-end after a newer event's call: the state store refused the older
// state, so the back-end may hold older data than the state says. The
// newest known state is put back: a tombstone is deleted again; a live
// record is fetched afresh from the source (the source is the truth and is
// at least as new as the newest event) and upserted. When the source has no
// profile API the newest data is unknown here: the stored hash is cleared
// so the next event for the subject is pushed in full, and a warning says
// so.
func (h *Handler) reapply(ctx context.Context, pl plan) (Outcome, string, error) {
	log := h.log().With("target", h.Target, "event_id", pl.e.ID, "subject_hash", redact.SubjectHash(pl.e.Subject))
	for range reapplyRounds {
		st, found, err := h.State.Get(ctx, h.Target, pl.e.Subject)
		if err != nil || !found {
			return "", "", fmt.Errorf("re-read state after a stale write: %w", err)
		}
		log.Warn("a newer event was applied during this call; re-applying the newest state", "newest_event_id", st.LastEventID)
		rec := connector.Record{Key: pl.rec.Key, Event: pl.e}
		rec.Event.ID, rec.Event.OccurredAt = st.LastEventID, st.LastEventAt
		if st.Deleted {
			rec.Event.Type = "deleted"
			err := h.call(ctx, func(ctx context.Context) error { return h.Connector.Delete(ctx, rec) })
			return Stale, st.RecordID, err
		}
		if h.Fetchers[pl.e.Source] == nil {
			log.Warn("source has no profile API: the back-end may hold older data until the next event for this subject")
			st.Hash, st.Fields = "", nil
		} else {
			p, err := h.fetch(ctx, pl.e)
			if errors.Is(err, source.ErrNotFound) {
				return Stale, st.RecordID, nil // its delete event follows
			}
			if err != nil {
				return "", "", err
			}
			if p.Sub == "" {
				cp := *p
				cp.Sub = pl.e.Subject
				p = &cp
			}
			// Decide as for a fresh update, so scope and consent still hold.
			upd := pl.e
			upd.Type = profile.Updated
			d, err := h.Mapping.Decide(upd, p)
			if err != nil {
				return "", "", fault.Wrap(fault.Permanent, err)
			}
			rec.Key, rec.Fields = d.Key, d.Fields
			var res connector.Result
			switch d.Action {
			case mapping.Upsert:
				if st.Hash, err = hashRecord(d.Key, d.Fields); err != nil {
					return "", "", fault.Wrap(fault.Permanent, err)
				}
				st.Fields = mergePrints(st.Fields, h.fieldPrints(d.Fields))
				err = h.call(ctx, func(ctx context.Context) (err error) {
					res, err = h.Connector.Upsert(ctx, rec)
					return err
				})
			case mapping.Delete:
				st.Hash, st.Deleted, st.Fields = "", true, nil
				err = h.call(ctx, func(ctx context.Context) error { return h.Connector.Delete(ctx, rec) })
			}
			if err != nil {
				return "", "", err
			}
			if res.ID != "" {
				st.RecordID = res.ID
			}
		}
		err = h.State.Put(ctx, h.Target, pl.e.Subject, st)
		if errors.Is(err, ErrStaleState) {
			continue // newer still: chase it
		}
		if err != nil {
			return "", "", fmt.Errorf("write state: %w", err)
		}
		return Stale, st.RecordID, nil
	}
	return "", "", fault.Wrap(fault.Transient, errors.New("state kept moving while re-applying the newest event"))
}

// subjectLocks serialises deliveries for one subject inside one process
// (the local runtime's workers share a Handler; so do batches of one Lambda
// instance), which rules out the race reapply repairs between them. Across
// Lambda instances the conditional state write and reapply still apply.
type subjectLocks struct {
	seed maphash.Seed
	once sync.Once
	// 1,024 stripes: the local runtime's five workers lock ten subjects a
	// batch, and with 64 two batches shared a stripe (and waited for each
	// other) more often than not.
	stripes [1024]sync.Mutex
}

// lock locks the stripes of subjects in a fixed order (no deadlock between
// two batches) and returns the unlock.
func (l *subjectLocks) lock(subjects ...string) func() {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	idx := make([]int, 0, len(subjects))
	for _, s := range subjects {
		idx = append(idx, int(maphash.String(l.seed, s)%uint64(len(l.stripes))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range idx {
			l.stripes[i].Unlock()
		}
	}
}
