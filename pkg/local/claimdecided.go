package local

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
)

// ClaimDecidedType and ClaimsTarget are how a decision is kept among the
// notices: type "ClaimDecided" (the EventBridge detail-type), target
// "claims" (the verifier's queue name).
const (
	ClaimDecidedType = "ClaimDecided"
	ClaimsTarget     = claims.QueueName
)

var _ claims.Publisher = Notices{}

// claimDecided is the notice's detail: the fields of awsadapter's
// ClaimDecided event detail, so the local stack shows what a bus
// subscriber would get (no declared value, no evidence hash).
type claimDecided struct {
	ID          string         `json:"id"`
	Subject     string         `json:"subject"`
	Source      string         `json:"source"`
	Rule        string         `json:"rule"`
	Claim       string         `json:"claim"`
	Verdict     claims.Verdict `json:"verdict"`
	Reason      string         `json:"reason,omitempty"`
	Authority   string         `json:"authority,omitempty"`
	Reference   string         `json:"reference,omitempty"`
	DecidedAt   time.Time      `json:"decided_at"`
	ExpiresAt   *time.Time     `json:"expires_at,omitempty"`
	DecidedBy   string         `json:"decided_by"`
	Environment string         `json:"environment,omitempty"`
	ClientID    string         `json:"client_id,omitempty"`
}

// PublishDecision implements claims.Publisher: a ClaimDecided notice for
// target "claims", its event_id the decision's id.
func (n Notices) PublishDecision(ctx context.Context, d claims.Decision) error {
	c := claimDecided{ID: d.ID, Subject: d.Subject, Source: d.Source, Rule: d.Rule, Claim: d.Claim, Verdict: d.Verdict,
		Reason: d.Reason, Authority: d.Authority, Reference: d.Reference, DecidedAt: d.DecidedAt.UTC(), DecidedBy: d.DecidedBy,
		Environment: d.Environment, ClientID: d.ClientID}
	if !d.ExpiresAt.IsZero() {
		exp := d.ExpiresAt.UTC()
		c.ExpiresAt = &exp
	}
	detail, err := json.Marshal(c)
	if err != nil {
		return err
	}
	at := d.DecidedAt
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := n.db.sql.ExecContext(ctx, `insert into notice (type, target, subject, event_id, detail, at) values (?, ?, ?, ?, ?, ?)`,
		ClaimDecidedType, ClaimsTarget, d.Subject, d.ID, string(detail), at.UnixMilli()); err != nil {
		return fmt.Errorf("record ClaimDecided notice: %w", err)
	}
	return nil
}
