package local

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

var _ delivery.ErasureLedger = (*SyncLog)(nil)

// Open records erasures asked for and not yet delivered as pending, in
// one transaction (the ingress opens a webhook's deletes in one call); one
// already recorded for the same event stays as it is.
func (l *SyncLog) Open(ctx context.Context, es []delivery.Erasure) error {
	return l.db.inTx(ctx, func(tx *sql.Tx) error {
		for _, e := range es {
			if _, err := tx.ExecContext(ctx, `insert into erasure (subject, target, event_id, status, requested_at)
				values (?, ?, ?, ?, ?) on conflict do nothing`,
				e.Subject, e.Target, e.EventID, string(delivery.ErasurePending), e.RequestedAt.UnixNano()); err != nil {
				return fmt.Errorf("open erasure: %w", err)
			}
		}
		return nil
	})
}

// settleErasures writes what the batch's delete entries made of their
// erasures. A settled erasure is not made pending again by a late retry
// entry, and a confirmed one is final: a resent delete's second delivery
// (skipped: nothing live left) does not take its proof away. Its request
// time stays the first one.
func settleErasures(ctx context.Context, tx *sql.Tx, es []delivery.Entry) error {
	for _, entry := range es {
		e, ok := delivery.ErasureOf(entry)
		if !ok {
			continue
		}
		var settled sql.NullInt64
		if !e.SettledAt.IsZero() {
			settled = sql.NullInt64{Int64: e.SettledAt.UnixNano(), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `insert into erasure (subject, target, event_id, status, requested_at, settled_at, outcome, reason, attempts)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?)
			on conflict (subject, target, event_id) do update set status = excluded.status, settled_at = excluded.settled_at,
				outcome = excluded.outcome, reason = excluded.reason, attempts = excluded.attempts
			where erasure.status != 'confirmed' and (excluded.status != 'pending' or erasure.status = 'pending')`,
			e.Subject, e.Target, e.EventID, string(e.Status), e.RequestedAt.UnixNano(), settled, string(e.Outcome), e.Reason, e.Attempts); err != nil {
			return fmt.Errorf("settle erasure: %w", err)
		}
	}
	return nil
}

// Erasures returns subject's erasures, oldest request first, for one
// target or (target "") all.
func (l *SyncLog) Erasures(ctx context.Context, subject, target string) ([]delivery.Erasure, error) {
	q := `select subject, target, event_id, status, requested_at, settled_at, outcome, reason, attempts
		from erasure where subject = ?`
	args := []any{subject}
	if target != "" {
		q += ` and target = ?`
		args = append(args, target)
	}
	rows, err := l.db.sql.QueryContext(ctx, q+` order by requested_at, target`, args...)
	if err != nil {
		return nil, fmt.Errorf("list erasures: %w", err)
	}
	defer rows.Close()
	var out []delivery.Erasure
	for rows.Next() {
		var e delivery.Erasure
		var status, outcome string
		var requested int64
		var settled sql.NullInt64
		if err := rows.Scan(&e.Subject, &e.Target, &e.EventID, &status, &requested, &settled, &outcome, &e.Reason, &e.Attempts); err != nil {
			return nil, fmt.Errorf("list erasures: %w", err)
		}
		e.Status, e.Outcome, e.RequestedAt = delivery.ErasureStatus(status), delivery.Outcome(outcome), time.Unix(0, requested).UTC()
		if settled.Valid {
			e.SettledAt = time.Unix(0, settled.Int64).UTC()
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
