package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// ArchiveRetention is how long the local archive keeps an accepted event:
// the template's ArchiveRetentionDays default, which the S3 archive's
// lifecycle rule applies on AWS.
const ArchiveRetention = 30 * 24 * time.Hour

// archiveSweep is how often Archive expires old rows as it writes.
const archiveSweep = time.Hour

// Archive is the local archive of accepted events (ingress.Archive), the
// twin of awsadapter.S3Archive: a row per event in event_archive. With no
// lifecycle rule to expire it, it deletes the rows older than Retention
// itself, at most once an hour as the ingress writes.
type Archive struct {
	db *DB
	// Retention is how long an event is kept (ArchiveRetention when zero).
	Retention time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	swept time.Time
}

var _ ingress.Archive = (*Archive)(nil)

// NewArchive returns the archive in db.
func NewArchive(db *DB) *Archive { return &Archive{db: db} }

const archiveInsertSQL = `insert into event_archive (received_at, event_id, source, subject, type, body)
	values (?, ?, ?, ?, ?, ?)`

// Archive stores evs, one row each, in one transaction.
func (a *Archive) Archive(ctx context.Context, evs []ingress.ArchivedEvent) error {
	err := a.db.deferWrite(ctx, func(tx *sql.Tx) error {
		for _, ae := range evs {
			body, err := json.Marshal(ae)
			if err != nil {
				return fmt.Errorf("encode archived event: %w", err)
			}
			e := ae.Event
			if _, err := a.db.execTx(ctx, tx, archiveInsertSQL, e.ReceivedAt.UnixNano(), e.ID, e.Source, e.Subject, string(e.Type), string(body)); err != nil {
				return fmt.Errorf("archive event: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.sweep(ctx)
	return nil
}

// sweep expires what is past retention, once per archiveSweep. A failure
// is left for the next sweep: the events were archived.
func (a *Archive) sweep(ctx context.Context) {
	now := a.now()
	a.mu.Lock()
	due := now.Sub(a.swept) >= archiveSweep
	if due {
		a.swept = now
	}
	a.mu.Unlock()
	if due {
		_, _ = a.Expire(ctx, now.Add(-a.retention()), false)
	}
}

// Read returns the archived events received in [since, until), oldest
// first (in the order they came in).
func (a *Archive) Read(ctx context.Context, since, until time.Time) ([]ingress.ArchivedEvent, error) {
	rows, err := a.db.sql.QueryContext(ctx, `select body from event_archive
		where received_at >= ? and received_at < ? order by received_at, seq`, since.UnixNano(), until.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	defer rows.Close()
	var out []ingress.ArchivedEvent
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		var ae ingress.ArchivedEvent
		if err := json.Unmarshal([]byte(body), &ae); err != nil {
			return nil, fmt.Errorf("read archive: decode event: %w", err)
		}
		out = append(out, ae)
	}
	return out, rows.Err()
}

// Expire deletes the events received before cutoff; with dryRun it only
// counts them.
func (a *Archive) Expire(ctx context.Context, cutoff time.Time, dryRun bool) (int64, error) {
	return (&State{db: a.db}).expire(ctx, "event_archive", `received_at < ?`, cutoff.UnixNano(), dryRun)
}

func (a *Archive) retention() time.Duration {
	if a.Retention > 0 {
		return a.Retention
	}
	return ArchiveRetention
}

func (a *Archive) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
