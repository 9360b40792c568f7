package awsadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/profilesync/profilesync/pkg/claims"
)

// ClaimDecidedType is the detail-type of a claim verifier's decision on
// the bus.
const ClaimDecidedType = "ClaimDecided"

var _ claims.Publisher = (*Notices)(nil)

// ClaimDecided is the detail of a ClaimDecided event: who decided what
// about which subject's claim, as the SyncAbandoned notices name the
// subject. The declared value, the evidence hash and the written-back
// attributes stay in the claims table.
type ClaimDecided struct {
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

// ClaimDecidedOf is d's event detail.
func ClaimDecidedOf(d claims.Decision) ClaimDecided {
	c := ClaimDecided{ID: d.ID, Subject: d.Subject, Source: d.Source, Rule: d.Rule, Claim: d.Claim, Verdict: d.Verdict,
		Reason: d.Reason, Authority: d.Authority, Reference: d.Reference, DecidedAt: d.DecidedAt.UTC(), DecidedBy: d.DecidedBy,
		Environment: d.Environment, ClientID: d.ClientID}
	if !d.ExpiresAt.IsZero() {
		exp := d.ExpiresAt.UTC()
		c.ExpiresAt = &exp
	}
	return c
}

// PublishDecision implements claims.Publisher: one ClaimDecided event,
// source "profilesync", at the decision's time. A refused entry is sent
// once more, as Notify does.
func (n *Notices) PublishDecision(ctx context.Context, d claims.Decision) error {
	detail, err := json.Marshal(ClaimDecidedOf(d))
	if err != nil {
		return fmt.Errorf("eventbridge: ClaimDecided %s: %w", d.ID, err)
	}
	e := types.PutEventsRequestEntry{
		EventBusName: awssdk.String(n.bus),
		Source:       awssdk.String(NoticeSource),
		DetailType:   awssdk.String(ClaimDecidedType),
		Detail:       awssdk.String(string(detail)),
	}
	if !d.DecidedAt.IsZero() {
		at := d.DecidedAt
		e.Time = &at
	}
	failed := map[string]int{}
	if err := n.put(ctx, []types.PutEventsRequestEntry{e}, failed); err != nil {
		return fmt.Errorf("eventbridge: ClaimDecided %s: %w", d.ID, err)
	}
	if len(failed) > 0 {
		return &NoticeError{Total: 1, Failed: failed}
	}
	return nil
}
