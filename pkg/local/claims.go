package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
)

// ClaimStore keeps the claim verifier's decisions and approvals in the
// local database: the local twin of the DynamoDB claims table.
type ClaimStore struct{ db *DB }

var _ claims.Store = ClaimStore{}

// NewClaimStore returns the claims tables of db.
func NewClaimStore(db *DB) ClaimStore { return ClaimStore{db: db} }

// Latest implements claims.Store.
func (s ClaimStore) Latest(ctx context.Context, subject, rule string) (*claims.Decision, error) {
	var detail string
	err := s.db.sql.QueryRowContext(ctx, `select detail from claim_decision where subject = ? and rule = ? order by seq desc limit 1`,
		subject, rule).Scan(&detail)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read claim decision: %w", err)
	}
	var d claims.Decision
	if err := json.Unmarshal([]byte(detail), &d); err != nil {
		return nil, fmt.Errorf("decode claim decision: %w", err)
	}
	return &d, nil
}

// Record implements claims.Store.
func (s ClaimStore) Record(ctx context.Context, d claims.Decision) error {
	detail, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into claim_decision (id, subject, rule, decided_at, detail) values (?, ?, ?, ?, ?)`,
			d.ID, d.Subject, d.Rule, d.DecidedAt.UnixNano(), string(detail))
		if err != nil {
			return fmt.Errorf("record claim decision: %w", err)
		}
		return nil
	})
}

// History implements claims.Store.
func (s ClaimStore) History(ctx context.Context, subject string) ([]claims.Decision, error) {
	rows, err := s.db.sql.QueryContext(ctx, `select detail from claim_decision where subject = ? order by seq`, subject)
	if err != nil {
		return nil, fmt.Errorf("list claim decisions: %w", err)
	}
	defer rows.Close()
	var out []claims.Decision
	for rows.Next() {
		var detail string
		if err := rows.Scan(&detail); err != nil {
			return nil, err
		}
		var d claims.Decision
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			return nil, fmt.Errorf("decode claim decision: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpenApproval implements claims.Store.
func (s ClaimStore) OpenApproval(ctx context.Context, a claims.Approval) (claims.Approval, bool, error) {
	var out claims.Approval
	created := false
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var detail string
		err := tx.QueryRowContext(ctx, `select detail from claim_approval where subject = ? and rule = ? and evidence_hash = ? and status != ?
			order by requested_at desc limit 1`, a.Subject, a.Rule, a.EvidenceHash, string(claims.ApprovalExpired)).Scan(&detail)
		if err == nil {
			return json.Unmarshal([]byte(detail), &out)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `insert into claim_approval (id, subject, rule, evidence_hash, status, requested_at, detail) values (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Subject, a.Rule, a.EvidenceHash, string(a.Status), a.RequestedAt.UnixNano(), string(b)); err != nil {
			return err
		}
		out, created = a, true
		return nil
	})
	if err != nil {
		return claims.Approval{}, false, fmt.Errorf("open approval: %w", err)
	}
	return out, created, nil
}

// Approval implements claims.Store.
func (s ClaimStore) Approval(ctx context.Context, id string) (claims.Approval, error) {
	var detail string
	err := s.db.sql.QueryRowContext(ctx, `select detail from claim_approval where id = ?`, id).Scan(&detail)
	if errors.Is(err, sql.ErrNoRows) {
		return claims.Approval{}, claims.ErrNoApproval
	}
	if err != nil {
		return claims.Approval{}, fmt.Errorf("read approval: %w", err)
	}
	var a claims.Approval
	return a, json.Unmarshal([]byte(detail), &a)
}

// DecideApproval implements claims.Store: the row changes only while it
// is pending, in one transaction, so a second decision fails.
func (s ClaimStore) DecideApproval(ctx context.Context, id string, status claims.ApprovalStatus, approver string, at time.Time) (claims.Approval, error) {
	var a claims.Approval
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var detail string
		err := tx.QueryRowContext(ctx, `select detail from claim_approval where id = ?`, id).Scan(&detail)
		if errors.Is(err, sql.ErrNoRows) {
			return claims.ErrNoApproval
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(detail), &a); err != nil {
			return err
		}
		if a.Status != claims.ApprovalPending {
			return claims.ErrAlreadyDecided
		}
		a.Status, a.Approver, a.DecidedAt = status, approver, at.UTC()
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `update claim_approval set status = ?, detail = ? where id = ? and status = ?`,
			string(status), string(b), id, string(claims.ApprovalPending))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return claims.ErrAlreadyDecided
		}
		return nil
	})
	return a, err
}

// Reminded implements claims.Store.
func (s ClaimStore) Reminded(ctx context.Context, id string, at time.Time) error {
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		var detail string
		if err := tx.QueryRowContext(ctx, `select detail from claim_approval where id = ?`, id).Scan(&detail); err != nil {
			return err
		}
		var a claims.Approval
		if err := json.Unmarshal([]byte(detail), &a); err != nil {
			return err
		}
		a.RemindedAt = at.UTC()
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `update claim_approval set detail = ? where id = ?`, string(b), id)
		return err
	})
}

// PendingApprovals implements claims.Store.
func (s ClaimStore) PendingApprovals(ctx context.Context) ([]claims.Approval, error) {
	rows, err := s.db.sql.QueryContext(ctx, `select detail from claim_approval where status = ? order by requested_at`, string(claims.ApprovalPending))
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	defer rows.Close()
	var out []claims.Approval
	for rows.Next() {
		var detail string
		if err := rows.Scan(&detail); err != nil {
			return nil, err
		}
		var a claims.Approval
		if err := json.Unmarshal([]byte(detail), &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
