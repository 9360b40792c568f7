package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// Notices keeps the sync handlers' notices in the local database: the
// local twin of the EventBridge bus (pkg/awsadapter.Notices), so the local
// stack runs the notifier the Lambda runs.
type Notices struct{ db *DB }

var _ delivery.Notifier = Notices{}

// NewNotices returns the notices table of db.
func NewNotices(db *DB) Notices { return Notices{db: db} }

const noticeInsertSQL = `insert into notice (type, target, subject, event_id, detail, at) values (?, ?, ?, ?, ?, ?)`

// Notify implements delivery.Notifier: every notice in one transaction.
func (n Notices) Notify(ctx context.Context, ns []delivery.Notice) error {
	if len(ns) == 0 {
		return nil
	}
	return n.db.deferWrite(ctx, func(tx *sql.Tx) error {
		for _, x := range ns {
			detail, err := json.Marshal(x)
			if err != nil {
				return err
			}
			at := x.At
			if at.IsZero() {
				at = time.Now()
			}
			if _, err := n.db.execTx(ctx, tx, noticeInsertSQL,
				x.Type, x.Target, x.Subject, x.EventID, string(detail), at.UnixMilli()); err != nil {
				return fmt.Errorf("record notice: %w", err)
			}
		}
		return nil
	})
}

// List returns target's notices, oldest first, at most limit (0: all).
func (n Notices) List(ctx context.Context, target string, limit int) ([]delivery.Notice, error) {
	q := `select type, detail from notice where target = ? order by seq`
	args := []any{target}
	if limit > 0 {
		q += ` limit ?`
		args = append(args, limit)
	}
	rows, err := n.db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list notices of %s: %w", target, err)
	}
	defer rows.Close()
	var out []delivery.Notice
	for rows.Next() {
		var typ, detail string
		if err := rows.Scan(&typ, &detail); err != nil {
			return nil, err
		}
		var x delivery.Notice
		if err := json.Unmarshal([]byte(detail), &x); err != nil {
			return nil, fmt.Errorf("notice of %s: %w", target, err)
		}
		x.Type = typ
		out = append(out, x)
	}
	return out, rows.Err()
}

// Recent returns target's last limit notices of the failure kinds
// (SyncRetrying, SyncAbandoned), oldest first: what `profilesync status`
// shows as the last failures.
func (n Notices) Recent(ctx context.Context, target string, limit int) ([]delivery.Notice, error) {
	rows, err := n.db.sql.QueryContext(ctx, `select type, detail from (select seq, type, detail from notice
		where target = ? and type in (?, ?) order by seq desc limit ?) order by seq`,
		target, delivery.NoticeRetrying, delivery.NoticeAbandoned, limit)
	if err != nil {
		return nil, fmt.Errorf("recent notices of %s: %w", target, err)
	}
	defer rows.Close()
	var out []delivery.Notice
	for rows.Next() {
		var typ, detail string
		if err := rows.Scan(&typ, &detail); err != nil {
			return nil, err
		}
		var x delivery.Notice
		if err := json.Unmarshal([]byte(detail), &x); err != nil {
			return nil, fmt.Errorf("notice of %s: %w", target, err)
		}
		x.Type = typ
		out = append(out, x)
	}
	return out, rows.Err()
}
