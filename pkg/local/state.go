package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

var _ delivery.StateStore = (*State)(nil)

// State is the SQLite twin of the DynamoDB state table.
type State struct {
	db *DB
}

// NewState returns the state store in db.
func NewState(db *DB) *State {
	return &State{db: db}
}

// Get returns the record of subject for target; found is false when there is
// none.
func (s *State) Get(ctx context.Context, target, subject string) (rec delivery.State, found bool, err error) {
	var lastEventAt sql.NullInt64
	var fields string
	err = s.db.sql.QueryRowContext(ctx, `
		select last_event_at, last_event_id, record_id, hash, deleted, fields
		from sync_state where target = ? and subject = ?`, target, subject).
		Scan(&lastEventAt, &rec.LastEventID, &rec.RecordID, &rec.Hash, &rec.Deleted, &fields)
	if errors.Is(err, sql.ErrNoRows) {
		return delivery.State{}, false, nil
	}
	if err != nil {
		return delivery.State{}, false, fmt.Errorf("get state %s/%s: %w", target, subject, err)
	}
	if lastEventAt.Valid {
		rec.LastEventAt = time.Unix(0, lastEventAt.Int64).UTC()
	}
	if fields != "" {
		if err := json.Unmarshal([]byte(fields), &rec.Fields); err != nil {
			return delivery.State{}, false, fmt.Errorf("get state %s/%s: fields: %w", target, subject, err)
		}
	}
	return rec, true, nil
}

// Put stores rec as the record of subject for target, replacing any that
// is not newer: state from a later event stays, and Put returns an error
// wrapping delivery.ErrStaleState, as the DynamoDB store's condition does.
func (s *State) Put(ctx context.Context, target, subject string, rec delivery.State) error {
	if target == "" || subject == "" {
		return fmt.Errorf("put state: target and subject are required")
	}
	var lastEventAt sql.NullInt64
	if !rec.LastEventAt.IsZero() {
		lastEventAt = sql.NullInt64{Int64: rec.LastEventAt.UnixNano(), Valid: true}
	}
	var fields []byte
	if len(rec.Fields) > 0 {
		var err error
		if fields, err = json.Marshal(rec.Fields); err != nil {
			return fmt.Errorf("put state %s/%s: fields: %w", target, subject, err)
		}
	}
	res, err := s.db.sql.ExecContext(ctx, `
		insert into sync_state (target, subject, last_event_at, last_event_id, record_id, hash, deleted, updated_at, fields)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?)
		on conflict (target, subject) do update set
			last_event_at = excluded.last_event_at, last_event_id = excluded.last_event_id,
			record_id = excluded.record_id, hash = excluded.hash, deleted = excluded.deleted,
			updated_at = excluded.updated_at, fields = excluded.fields
		where sync_state.last_event_at is null or excluded.last_event_at >= sync_state.last_event_at`,
		target, subject, lastEventAt, rec.LastEventID, rec.RecordID, rec.Hash, rec.Deleted, time.Now().UnixNano(), string(fields))
	if err != nil {
		return fmt.Errorf("put state %s/%s: %w", target, subject, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("put state %s/%s: %w", target, subject, err)
	} else if n == 0 {
		return fmt.Errorf("put state %s/%s: %w", target, subject, delivery.ErrStaleState)
	}
	return nil
}
