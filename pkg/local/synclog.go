package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// SyncLog is the per-record sync log in the local database: the twin of
// the DynamoDB SyncLogTable (pkg/awsadapter.SyncLog). Entries carry ids,
// outcomes and the field diff in the form the mapping's log settings
// allow, never raw profile data; they expire after the retention.
type SyncLog struct {
	db        *DB
	retention time.Duration
	now       func() time.Time
}

var _ delivery.Journal = (*SyncLog)(nil)

// NewSyncLog returns the sync log of db, keeping entries for retention
// (0: delivery.DefaultLogRetention).
func NewSyncLog(db *DB, retention time.Duration) *SyncLog {
	if retention <= 0 {
		retention = delivery.DefaultLogRetention
	}
	return &SyncLog{db: db, retention: retention, now: time.Now}
}

// expireBatch bounds the expired rows one Record deletes: the local TTL
// runs a little with every write, as DynamoDB's runs in the background.
const expireBatch = 500

const (
	syncLogInsertSQL = `insert into sync_log (subject, target, at, expires_at, entry) values (?, ?, ?, ?, ?)`
	syncLogExpireSQL = `delete from sync_log where seq in (select seq from sync_log where expires_at < ? limit ?)`
)

// Record implements delivery.Journal: the batch's entries in one
// transaction, each kept for the retention from now, with expired rows
// pruned on the way.
func (l *SyncLog) Record(ctx context.Context, es []delivery.Entry) error {
	if len(es) == 0 {
		return nil
	}
	now := l.now()
	return l.db.deferWrite(ctx, func(tx *sql.Tx) error {
		for _, e := range es {
			b, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("sync log entry: %w", err)
			}
			at := e.At
			if at.IsZero() {
				at = now
			}
			if _, err := l.db.execTx(ctx, tx, syncLogInsertSQL,
				e.Subject, e.Target, at.UnixNano(), now.Add(l.retention).UnixNano(), string(b)); err != nil {
				return fmt.Errorf("record sync log: %w", err)
			}
		}
		if err := settleErasures(ctx, tx, es); err != nil {
			return err
		}
		_, err := l.db.execTx(ctx, tx, syncLogExpireSQL, now.UnixNano(), expireBatch)
		if err != nil {
			return fmt.Errorf("expire sync log: %w", err)
		}
		return nil
	})
}

// List returns subject's last limit entries (0: all), for one target or
// (target "") all, oldest first. Expired entries not yet pruned are left
// out.
func (l *SyncLog) List(ctx context.Context, subject, target string, limit int) ([]delivery.Entry, error) {
	q := `select entry from sync_log where subject = ? and expires_at >= ?`
	args := []any{subject, l.now().UnixNano()}
	if target != "" {
		q += ` and target = ?`
		args = append(args, target)
	}
	q += ` order by at desc, seq desc`
	if limit > 0 {
		q += ` limit ?`
		args = append(args, limit)
	}
	rows, err := l.db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sync log: %w", err)
	}
	defer rows.Close()
	var out []delivery.Entry
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list sync log: %w", err)
		}
		var e delivery.Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return nil, fmt.Errorf("list sync log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sync log: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// Window calls fn with every entry whose time is in [since, until), in
// time order (then the order written), whatever its subject or target:
// the sync-log export's read (sync_log_time). Expired entries not yet
// pruned are included: an export shows what the log held.
func (l *SyncLog) Window(ctx context.Context, since, until time.Time, fn func(delivery.Entry) error) error {
	rows, err := l.db.sql.QueryContext(ctx, `select entry from sync_log where at >= ? and at < ? order by at, seq`,
		since.UnixNano(), until.UnixNano())
	if err != nil {
		return fmt.Errorf("read sync log window: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("read sync log window: %w", err)
		}
		var e delivery.Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return fmt.Errorf("read sync log window: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read sync log window: %w", err)
	}
	return nil
}
