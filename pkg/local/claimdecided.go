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
	ClaimDecidedType = claims.DecidedType
	ClaimsTarget     = claims.QueueName
)

var _ claims.Publisher = Notices{}

// PublishDecision implements claims.Publisher: a ClaimDecided notice for
// target "claims", its event_id the decision's id.
func (n Notices) PublishDecision(ctx context.Context, d claims.Decision) error {
	// The detail a bus subscriber would get (claims.Decided): no declared
	// value, no evidence hash.
	detail, err := json.Marshal(claims.DecidedOf(d))
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
