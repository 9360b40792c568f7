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

var (
	_ delivery.StateStore       = (*State)(nil)
	_ delivery.BatchStateReader = (*State)(nil)
)

// State is the SQLite twin of the DynamoDB state table.
type State struct {
	db *DB
}

const (
	stateColumns = `last_event_at, last_event_id, record_id, hash, deleted, fields`
	stateGetSQL  = `select ` + stateColumns + ` from sync_state where target = ? and subject = ?`
	// stateGetManySQL reads the states of a JSON array of subjects.
	stateGetManySQL = `select subject, ` + stateColumns + ` from sync_state
		where target = ? and subject in (select value from json_each(?))`
	// statePutSQL replaces a record that is not newer.
	statePutSQL = `
		insert into sync_state (target, subject, last_event_at, last_event_id, record_id, hash, deleted, updated_at, fields)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?)
		on conflict (target, subject) do update set
			last_event_at = excluded.last_event_at, last_event_id = excluded.last_event_id,
			record_id = excluded.record_id, hash = excluded.hash, deleted = excluded.deleted,
			updated_at = excluded.updated_at, fields = excluded.fields
		where sync_state.last_event_at is null or excluded.last_event_at >= sync_state.last_event_at`
)

// NewState returns the state store in db.
func NewState(db *DB) *State {
	return &State{db: db}
}

// Get returns the record of subject for target; found is false when there is
// none. In a poll's write scope, the scope's own writes come first.
func (s *State) Get(ctx context.Context, target, subject string) (rec delivery.State, found bool, err error) {
	if sc := s.db.scopeOf(ctx); sc != nil {
		if st, ok := sc.state(stateKey{target, subject}); ok {
			return st, true, nil
		}
		if st, ok := s.db.pending.get(stateKey{target, subject}); ok {
			return st, true, nil
		}
	}
	rec, found, err = s.get(ctx, target, subject)
	if sc := s.db.scopeOf(ctx); sc != nil && err == nil {
		sc.noteRead(stateKey{target, subject}, rec, found)
	}
	return rec, found, err
}

// get reads the database.
func (s *State) get(ctx context.Context, target, subject string) (delivery.State, bool, error) {
	rec, err := scanState(s.db.queryRow(ctx, stateGetSQL, target, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return delivery.State{}, false, nil
	}
	if err != nil {
		return delivery.State{}, false, fmt.Errorf("get state %s/%s: %w", target, subject, err)
	}
	return rec, true, nil
}

// GetMany implements delivery.BatchStateReader: one query for a batch.
func (s *State) GetMany(ctx context.Context, target string, subjects []string) (map[string]delivery.State, error) {
	out := make(map[string]delivery.State, len(subjects))
	sc := s.db.scopeOf(ctx)
	var rest []string
	for _, sub := range subjects {
		if sc != nil {
			if st, ok := sc.state(stateKey{target, sub}); ok {
				out[sub] = st
				continue
			}
			if st, ok := s.db.pending.get(stateKey{target, sub}); ok {
				out[sub] = st
				continue
			}
		}
		rest = append(rest, sub)
	}
	if len(rest) == 0 {
		return out, nil
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.stmts[stateGetManySQL].QueryContext(ctx, target, string(b))
	if err != nil {
		return nil, fmt.Errorf("get states of %s: %w", target, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sub string
		st, err := scanState(rows, &sub)
		if err != nil {
			return nil, fmt.Errorf("get states of %s: %w", target, err)
		}
		out[sub] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get states of %s: %w", target, err)
	}
	if sc != nil {
		for _, sub := range rest {
			st, found := out[sub]
			sc.noteRead(stateKey{target, sub}, st, found)
		}
	}
	return out, nil
}

// scanState reads one state row (stateColumns after any of lead).
func scanState(r interface{ Scan(...any) error }, lead ...any) (rec delivery.State, err error) {
	var lastEventAt sql.NullInt64
	var fields string
	dest := append(lead, &lastEventAt, &rec.LastEventID, &rec.RecordID, &rec.Hash, &rec.Deleted, &fields)
	if err := r.Scan(dest...); err != nil {
		return delivery.State{}, err
	}
	if lastEventAt.Valid {
		rec.LastEventAt = time.Unix(0, lastEventAt.Int64).UTC()
	}
	if fields != "" {
		if err := json.Unmarshal([]byte(fields), &rec.Fields); err != nil {
			return delivery.State{}, fmt.Errorf("fields: %w", err)
		}
	}
	return rec, nil
}

// Put stores rec as the record of subject for target, replacing any that
// is not newer: state from a later event stays, and Put returns an error
// wrapping delivery.ErrStaleState, as the DynamoDB store's condition does.
//
// In a poll's write scope the check is made now, against the scope's own
// writes and reads (or the database), and the write joins the scope's
// commit; should a newer state land in between, the scope is marked lost
// (scope.go).
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
	args := []any{target, subject, lastEventAt, rec.LastEventID, rec.RecordID, rec.Hash, rec.Deleted, time.Now().UnixNano(), string(fields)}
	if sc := s.db.scopeOf(ctx); sc != nil {
		return s.putInScope(ctx, sc, target, subject, rec, args)
	}
	// Through the group writer: a Put shares a commit with the other
	// writes of the moment instead of waiting for the write lock.
	var n int64
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.db.execTx(ctx, tx, statePutSQL, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("put state %s/%s: %w", target, subject, err)
	}
	if n == 0 {
		return fmt.Errorf("put state %s/%s: %w", target, subject, delivery.ErrStaleState)
	}
	return nil
}

// putInScope is Put in a write scope.
func (s *State) putInScope(ctx context.Context, sc *scope, target, subject string, rec delivery.State, args []any) error {
	// What the poll knows is enough: a newer state landing since is
	// caught at the commit (lost).
	cur, found, known := sc.known(stateKey{target, subject})
	if !known {
		var err error
		if cur, found, err = s.get(ctx, target, subject); err != nil {
			return fmt.Errorf("put state %s/%s: %w", target, subject, err)
		}
	}
	if found && newerState(cur, rec) {
		return fmt.Errorf("put state %s/%s: %w", target, subject, delivery.ErrStaleState)
	}
	s.db.pending.put(stateKey{target, subject}, rec, sc)
	sc.mu.Lock()
	sc.states[stateKey{target, subject}] = rec
	sc.fns = append(sc.fns, func(tx *sql.Tx) error {
		res, err := s.db.execTx(ctx, tx, statePutSQL, args...)
		if err != nil {
			return fmt.Errorf("put state %s/%s: %w", target, subject, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("put state %s/%s: %w", target, subject, err)
		}
		if n == 0 {
			sc.mu.Lock()
			sc.lost = true
			sc.mu.Unlock()
		}
		return nil
	})
	sc.mu.Unlock()
	return nil
}

// newerState says whether statePutSQL would keep cur over rec: cur has an
// event time and rec has none or an earlier one.
func newerState(cur, rec delivery.State) bool {
	return !cur.LastEventAt.IsZero() && (rec.LastEventAt.IsZero() || rec.LastEventAt.Before(cur.LastEventAt))
}
