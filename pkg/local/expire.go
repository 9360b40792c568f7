package local

import (
	"context"
	"fmt"
	"time"
)

// The local stack has no TTL: a cleanup job expires the state and the
// abandoned log with these (DynamoDB's TTL does it on AWS).

// ExpireState deletes the sync-state rows whose last event (else their
// write) is before cutoff: tombstones, and live rows with no back-end
// record id. A live row with a record id stays: without the id the next
// update of its subject could create a duplicate in the back-end. With
// dryRun it only counts them.
func (s *State) ExpireState(ctx context.Context, cutoff time.Time, dryRun bool) (int64, error) {
	const where = `coalesce(last_event_at, updated_at) < ? and (deleted = 1 or record_id = '')`
	return s.expire(ctx, "sync_state", where, cutoff.UnixNano(), dryRun)
}

// ExpireAbandoned deletes the abandoned-log rows recorded before cutoff;
// with dryRun it only counts them.
func (s *State) ExpireAbandoned(ctx context.Context, cutoff time.Time, dryRun bool) (int64, error) {
	return s.expire(ctx, "abandoned", `abandoned_at < ?`, cutoff.UnixMilli(), dryRun)
}

func (s *State) expire(ctx context.Context, table, where string, cutoff int64, dryRun bool) (int64, error) {
	if dryRun {
		var n int64
		if err := s.db.sql.QueryRowContext(ctx, `select count(*) from `+table+` where `+where, cutoff).Scan(&n); err != nil {
			return 0, fmt.Errorf("count expired %s: %w", table, err)
		}
		return n, nil
	}
	res, err := s.db.sql.ExecContext(ctx, `delete from `+table+` where `+where, cutoff)
	if err != nil {
		return 0, fmt.Errorf("expire %s: %w", table, err)
	}
	return res.RowsAffected()
}

// ExpireSyncLog deletes the sync-log entries whose retention has passed by
// now (SyncLog.Record prunes a few with every batch too); with dryRun it
// only counts them.
func (s *State) ExpireSyncLog(ctx context.Context, now time.Time, dryRun bool) (int64, error) {
	return s.expire(ctx, "sync_log", `expires_at < ?`, now.UnixNano(), dryRun)
}
