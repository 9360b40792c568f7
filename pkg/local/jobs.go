package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// JobCheckpoints keeps the scheduled jobs' checkpoints in the local
// database: the local twin of the DynamoDB items the jobs function keeps.
type JobCheckpoints struct{ db *DB }

var _ jobs.Checkpoints = JobCheckpoints{}

// NewJobCheckpoints returns the job_run table of db.
func NewJobCheckpoints(db *DB) JobCheckpoints { return JobCheckpoints{db: db} }

func (s JobCheckpoints) read(ctx context.Context, job, slot string) (*jobs.Checkpoint, error) {
	var detail string
	err := s.db.sql.QueryRowContext(ctx, `select detail from job_run where job = ? and slot = ?`, job, slot).Scan(&detail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read job checkpoint: %w", err)
	}
	var c jobs.Checkpoint
	if err := json.Unmarshal([]byte(detail), &c); err != nil {
		return nil, fmt.Errorf("decode job checkpoint: %w", err)
	}
	return &c, nil
}

// Current implements jobs.Checkpoints.
func (s JobCheckpoints) Current(ctx context.Context, job string) (*jobs.Checkpoint, error) {
	return s.read(ctx, job, "current")
}

// Last implements jobs.Checkpoints.
func (s JobCheckpoints) Last(ctx context.Context, job string) (*jobs.Checkpoint, error) {
	return s.read(ctx, job, "last")
}

// Save implements jobs.Checkpoints: a done run becomes the last one and
// the current one goes, in one transaction.
func (s JobCheckpoints) Save(ctx context.Context, c jobs.Checkpoint) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		slot := "current"
		if c.Done {
			slot = "last"
			if _, err := tx.ExecContext(ctx, `delete from job_run where job = ? and slot = 'current'`, c.Job); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `insert into job_run (job, slot, detail, updated_at) values (?, ?, ?, ?)
			on conflict (job, slot) do update set detail = excluded.detail, updated_at = excluded.updated_at`, c.Job, slot, string(b), now)
		if err != nil {
			return fmt.Errorf("save job checkpoint: %w", err)
		}
		return nil
	})
}

var _ jobs.Leases = JobCheckpoints{}

type jobLease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// Acquire implements jobs.Leases: read and write in one write
// transaction, so two runs on the same database cannot both take it.
func (s JobCheckpoints) Acquire(ctx context.Context, job, holder string, until, now time.Time) (bool, error) {
	got := false
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var detail string
		err := tx.QueryRowContext(ctx, `select detail from job_run where job = ? and slot = 'lease'`, job).Scan(&detail)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			var l jobLease
			if json.Unmarshal([]byte(detail), &l) == nil && l.Holder != holder && now.Before(l.Until) {
				return nil
			}
		}
		b, _ := json.Marshal(jobLease{Holder: holder, Until: until.UTC()})
		if _, err := tx.ExecContext(ctx, `insert into job_run (job, slot, detail, updated_at) values (?, 'lease', ?, ?)
			on conflict (job, slot) do update set detail = excluded.detail, updated_at = excluded.updated_at`, job, string(b), now.UnixMilli()); err != nil {
			return err
		}
		got = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("job lease: %w", err)
	}
	return got, nil
}

// Release implements jobs.Leases.
func (s JobCheckpoints) Release(ctx context.Context, job, holder string) error {
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		var detail string
		err := tx.QueryRowContext(ctx, `select detail from job_run where job = ? and slot = 'lease'`, job).Scan(&detail)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var l jobLease
		if json.Unmarshal([]byte(detail), &l) == nil && l.Holder != holder {
			return nil
		}
		_, err = tx.ExecContext(ctx, `delete from job_run where job = ? and slot = 'lease'`, job)
		return err
	})
}
