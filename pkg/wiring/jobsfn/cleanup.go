package jobsfn

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Housekeeping expires the queues' own bookkeeping: sync state and the
// abandoned log (pkg/local's State in the local stack). On AWS it is nil:
// DynamoDB's TTL expires tombstones and abandoned records
// (awsadapter.TombstoneTTL, AbandonedTTL), and live state never expires.
type Housekeeping interface {
	ExpireState(ctx context.Context, cutoff time.Time, dryRun bool) (int64, error)
	ExpireAbandoned(ctx context.Context, cutoff time.Time, dryRun bool) (int64, error)
}

// cleanupMargin is how long before the deadline a run stops listing: a
// page and its messages must fit in it.
const cleanupMargin = 60 * time.Second

// SourceCleanup is the source attribute of the messages a cleanup queues
// (the event inside keeps the CIAM as its source: the mappings route on
// it and the sync function fetches from it).
const SourceCleanup = "cleanup"

// cleanup runs (or continues) a cleanup job: it expires bookkeeping in
// the store, then lists the CIAM and queues consent_revoked and deleted
// events for the targets the mappings route them to, as the ingress
// would, so each target's mapping decides and the delivery guarantees
// hold. The CIAM is never changed. A run checkpoints its cursor after
// every page and continues after the deadline like an export's.
func (r *Runner) cleanup(ctx context.Context, j *jobs.Job) (jobs.Result, error) {
	c := j.Cleanup
	if c == nil {
		return jobs.Result{}, fmt.Errorf("job %s: no cleanup section", j.Name)
	}
	counts := &jobs.CleanupCounts{}
	cp, err := r.cleanupCheckpoint(ctx, j)
	if err != nil {
		return jobs.Result{}, err
	}
	res := jobs.Result{Run: cp.Run, Cleanup: counts}
	log := r.p.Logger().With("job", j.Name, "run", cp.Run, "dry_run", r.p.DryRun)
	fresh := cp.Cursor == "" && cp.Listed == 0
	if fresh {
		if err := r.expire(ctx, log, c, cp.Started, counts); err != nil {
			return res, fmt.Errorf("job %s: %w", j.Name, err)
		}
	}
	if len(c.LapsedConsents) > 0 || c.Inactive != nil {
		if (r.p.Queue == nil && !r.p.DryRun) || r.p.Mappings == nil {
			return res, fmt.Errorf("job %s: lapsed consents and inactive subjects need the queues and the mappings", j.Name)
		}
		more, err := r.sweep(ctx, log, j, &cp, counts)
		if err != nil {
			return res, err
		}
		if more {
			res.Continue, res.Checkpoint = true, cp
			// Saved even before a first page: the continuation keeps the
			// run's start, which its windows are reckoned from.
			if !r.p.DryRun {
				if err := r.p.Checkpoints.Save(ctx, cp); err != nil {
					return res, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
				}
			}
			if r.p.Continue != nil {
				if err := r.p.Continue(ctx, j.Name); err != nil {
					return res, fmt.Errorf("job %s: continue: %w", j.Name, err)
				}
			}
			return res, nil
		}
	}
	cp.Done, cp.Finished, cp.Cursor = true, r.p.NowFunc()().UTC(), ""
	res.Done, res.Checkpoint = true, cp
	if !r.p.DryRun {
		if err := r.p.Checkpoints.Save(ctx, cp); err != nil {
			return res, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
		}
	}
	log.Info("cleanup done", "state_expired", counts.StateExpired, "abandoned_expired", counts.AbandonedExpired,
		"listed", counts.Listed, "consents_revoked", counts.ConsentsRevoked, "inactive", counts.Inactive,
		"messages", counts.Messages, "unrouted", counts.Unrouted, "invalid", counts.Invalid)
	return res, nil
}

// cleanupCheckpoint is the unfinished run to continue, or a new one whose
// Since is the last complete run's start. A dry run always starts anew.
func (r *Runner) cleanupCheckpoint(ctx context.Context, j *jobs.Job) (jobs.Checkpoint, error) {
	if !r.p.DryRun {
		cur, err := r.p.Checkpoints.Current(ctx, j.Name)
		if err != nil {
			return jobs.Checkpoint{}, fmt.Errorf("job %s: read checkpoint: %w", j.Name, err)
		}
		if cur != nil {
			return *cur, nil
		}
	}
	now := r.p.NowFunc()().UTC()
	cp := jobs.Checkpoint{Job: j.Name, Run: now.Format("20060102T150405Z"), Started: now}
	last, err := r.p.Checkpoints.Last(ctx, j.Name)
	if err != nil {
		return cp, fmt.Errorf("job %s: read last run: %w", j.Name, err)
	}
	if last != nil {
		cp.Since = last.Started.UTC().Format(time.RFC3339Nano)
	}
	return cp, nil
}

// expire deletes state and abandoned rows past their retention, which
// are the queues' own record and so not queued.
func (r *Runner) expire(ctx context.Context, log *slog.Logger, c *jobs.Cleanup, start time.Time, n *jobs.CleanupCounts) error {
	if c.StateOlderThan == 0 && c.AbandonedOlderThan == 0 {
		return nil
	}
	h := r.p.Housekeeping
	if h == nil && r.p.DryRun {
		log.Info("dry run without the store: expired sync state and abandoned records not counted")
		return nil
	}
	if h == nil {
		log.Info("sync state and abandoned records are expired by the store's TTL (DynamoDB: tombstones and abandoned records); nothing to delete")
		return nil
	}
	var err error
	if c.StateOlderThan > 0 {
		if n.StateExpired, err = h.ExpireState(ctx, start.Add(-c.StateOlderThan), r.p.DryRun); err != nil {
			return fmt.Errorf("expire state: %w", err)
		}
	}
	if c.AbandonedOlderThan > 0 {
		if n.AbandonedExpired, err = h.ExpireAbandoned(ctx, start.Add(-c.AbandonedOlderThan), r.p.DryRun); err != nil {
			return fmt.Errorf("expire abandoned: %w", err)
		}
	}
	return nil
}

// sweep lists the CIAM from the checkpoint's cursor and queues what each
// profile is due, page by page; it reports whether the deadline stopped
// it with more to list.
func (r *Runner) sweep(ctx context.Context, log *slog.Logger, j *jobs.Job, cp *jobs.Checkpoint, n *jobs.CleanupCounts) (bool, error) {
	var since time.Time
	if cp.Since != "" {
		t, err := time.Parse(time.RFC3339Nano, cp.Since)
		if err != nil {
			return false, fmt.Errorf("job %s: checkpoint since: %w", j.Name, err)
		}
		since = t
	}
	for {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < cleanupMargin {
			return true, nil
		}
		page, next, err := jobs.ListPage(ctx, r.listers[j.Source], cp.Cursor, j.PageSize)
		if err != nil {
			return false, fmt.Errorf("job %s: list %s: %w", j.Name, j.Source, err)
		}
		batches := map[string][]ingress.Message{}
		for _, p := range page {
			n.Listed++
			if ok, err := j.Keep(p); err != nil {
				return false, fmt.Errorf("job %s: filter: %w", j.Name, err)
			} else if !ok {
				continue
			}
			for _, due := range j.Cleanup.Due(p, cp.Started, since) {
				if err := r.queue(j, cp, p, due, batches, n); err != nil {
					n.Invalid++
					log.Warn("subject skipped: not a valid event", "error", err)
				}
			}
		}
		if !r.p.DryRun {
			// In target order, so a run resumed after a failed send
			// repeats the same sends.
			for _, target := range slices.Sorted(maps.Keys(batches)) {
				if err := r.p.Queue.SendBatch(ctx, target, batches[target]); err != nil {
					return false, fmt.Errorf("job %s: queue for %s: %w", j.Name, target, err)
				}
			}
		}
		cp.Cursor, cp.Listed = next, cp.Listed+int64(len(page))
		if !r.p.DryRun {
			if err := r.p.Checkpoints.Save(ctx, *cp); err != nil {
				return false, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
			}
		}
		if r.p.Progress != nil {
			r.p.Progress(cp.Listed, cp.Rows)
		}
		if next == "" {
			return false, nil
		}
	}
}

// queue adds the event due to p to the batch of every target the
// mappings route it to. Its id counts the run's events from the
// checkpoint, so a page queued again after a crash carries the same ids
// (the sync function's dedupe key).
//
// A consent_revoked carries the profile as listed, as a webhook's
// snapshot does: the sync function orders it by the profile's updated_at
// against the subject's state, so a renewal the target has already
// applied wins over it, and no CIAM call is made per message. Too large
// for a queue message it goes thin (the sync function fetches). A
// deleted carries none, as the ingress's deletes do; its time, the run's
// start, loses to any change after it (the sync function skips a delete
// older than the state while the CIAM still has the subject).
func (r *Runner) queue(j *jobs.Job, cp *jobs.Checkpoint, p *profile.Profile, due jobs.Due, batches map[string][]ingress.Message, n *jobs.CleanupCounts) error {
	e := profile.Event{
		ID: fmt.Sprintf("cleanup-%s-%d", cp.Run, cp.Rows+1), Source: j.Source, Type: due.Type, Subject: p.Sub,
		OccurredAt: cp.Started, ReceivedAt: cp.Started, Purpose: due.Purpose, SourceType: SourceCleanup,
		Environment: r.envs[j.Source],
	}
	if due.Type == profile.ConsentRevoked {
		e.Profile = revoked(p, due.Purpose, cp.Started)
	}
	if err := e.Validate(); err != nil {
		return err
	}
	cp.Rows++
	if due.Type == profile.Deleted {
		n.Inactive++
	} else {
		n.ConsentsRevoked++
	}
	targets := r.p.Mappings.Route(e)
	if len(targets) == 0 {
		n.Unrouted++
		return nil
	}
	for _, target := range targets {
		body, err := envelope(target, e)
		if err != nil {
			return err
		}
		batches[target] = append(batches[target], ingress.Message{
			ID: fmt.Sprintf("m%d", len(batches[target])), Body: body,
			Attributes: map[string]string{"event_id": e.ID, "event_type": string(e.Type), "source": SourceCleanup},
		})
		n.Messages++
	}
	return nil
}

// revoked is p with the purpose revoked at: the snapshot then says what
// the event does, so a mapping that reads consents.<purpose>.granted into
// a field sends false, not the lapsed grant the CIAM still holds.
func revoked(p *profile.Profile, purpose string, at time.Time) *profile.Profile {
	cp := *p
	cp.Consents = maps.Clone(p.Consents)
	c := cp.Consents[purpose]
	c.Granted, c.At = false, &at
	cp.Consents[purpose] = c
	return &cp
}

// envelope encodes e for target, without its profile when it would not
// fit a queue message (with room for the attributes).
func envelope(target string, e profile.Event) ([]byte, error) {
	body, err := profile.NewEnvelope(target, e).Marshal()
	if err != nil || len(body) <= profile.MaxMessage-1024 {
		return body, err
	}
	e.Profile = nil
	return profile.NewEnvelope(target, e).Marshal()
}
