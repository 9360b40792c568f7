package claims

import "time"

// DecidedType is the detail-type of a decision on the bus (and the type
// of its local notice).
const DecidedType = "ClaimDecided"

// Decided is the detail of a ClaimDecided event: who decided what about
// which subject's claim, as the SyncAbandoned notices name the subject.
// The declared value, the evidence hash and the written-back attributes
// stay in the claims store.
type Decided struct {
	ID          string     `json:"id"`
	Subject     string     `json:"subject"`
	Source      string     `json:"source"`
	Rule        string     `json:"rule"`
	Claim       string     `json:"claim"`
	Verdict     Verdict    `json:"verdict"`
	Reason      string     `json:"reason,omitempty"`
	Authority   string     `json:"authority,omitempty"`
	Reference   string     `json:"reference,omitempty"`
	DecidedAt   time.Time  `json:"decided_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	DecidedBy   string     `json:"decided_by"`
	Environment string     `json:"environment,omitempty"`
	ClientID    string     `json:"client_id,omitempty"`
}

// DecidedOf is d's event detail.
func DecidedOf(d Decision) Decided {
	c := Decided{ID: d.ID, Subject: d.Subject, Source: d.Source, Rule: d.Rule, Claim: d.Claim, Verdict: d.Verdict,
		Reason: d.Reason, Authority: d.Authority, Reference: d.Reference, DecidedAt: d.DecidedAt.UTC(), DecidedBy: d.DecidedBy,
		Environment: d.Environment, ClientID: d.ClientID}
	if !d.ExpiresAt.IsZero() {
		exp := d.ExpiresAt.UTC()
		c.ExpiresAt = &exp
	}
	return c
}
