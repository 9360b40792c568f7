package claims

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/spec"
)

// ManualSpec describes the manual approval authority's settings.
var ManualSpec = spec.Component{
	Kind:    ManualKind,
	Summary: "A person decides: approvers get signed, expiring, single-use approve and reject links.",
	Settings: []spec.Field{
		{Name: "approvers", Type: spec.StringList, Required: true,
			Description: "Who may decide (an id or address per approver; each gets links of their own, and the decision records who)."},
		{Name: "expires_after", Type: spec.String, Default: "168h",
			Description: "How long a request waits for a decision; after that it expires and the claim stays pending until the profile changes again."},
		{Name: "remind_every", Type: spec.String, Default: "24h",
			Description: "How often approvers are reminded of a request still pending."},
	},
}

// ManualSettings are the manual authority's decoded settings.
type ManualSettings struct {
	Approvers    []string      `json:"approvers"`
	ExpiresAfter time.Duration `json:"-"`
	RemindEvery  time.Duration `json:"-"`
	RawExpires   string        `json:"expires_after"`
	RawRemind    string        `json:"remind_every"`
}

// ParseManualSettings decodes and checks a manual authority's settings.
func ParseManualSettings(m map[string]any) (ManualSettings, error) {
	var s ManualSettings
	if err := spec.Decode(ManualSpec.Settings, m, &s); err != nil {
		return s, err
	}
	var errs []error
	var err error
	if s.ExpiresAfter, err = parseDuration(s.RawExpires); err != nil || s.ExpiresAfter < time.Minute {
		errs = append(errs, spec.Errorf(spec.At("expires_after"), "must be a duration of at least 1m, like 72h or 7d"))
	}
	if s.RemindEvery, err = parseDuration(s.RawRemind); err != nil || s.RemindEvery < time.Minute {
		errs = append(errs, spec.Errorf(spec.At("remind_every"), "must be a duration of at least 1m, like 24h"))
	}
	for i, a := range s.Approvers {
		if a == "" {
			errs = append(errs, spec.Errorf(spec.At("approvers", spec.Index(i)), "must not be empty"))
		}
	}
	return s, errors.Join(errs...)
}

// CheckManualSettings validates a manual authority's settings.
func CheckManualSettings(m map[string]any) error {
	_, err := ParseManualSettings(m)
	return err
}

// ApprovalNotifier tells a rule's approvers about a request: first when
// it is opened, then as reminders. The verifier's wiring gives it signed
// links and the configured channels (pkg/claims/approval).
type ApprovalNotifier interface {
	NotifyApprovers(ctx context.Context, a Approval, approvers []string, reminder bool) error
}

// Manual is the manual approval authority: it answers with the decision
// of the newest approval for the claim's evidence, and opens (and
// announces) one when there is none.
type Manual struct {
	Name     string
	Settings ManualSettings
	Store    Store
	Notifier ApprovalNotifier
	Now      func() time.Time
}

var _ Authority = (*Manual)(nil)

// Check implements Authority.
func (m *Manual) Check(ctx context.Context, req Request) (Answer, error) {
	now := m.Now()
	hash := EvidenceHash(req.Rule, req.Value, req.Evidence)
	a, created, err := m.Store.OpenApproval(ctx, Approval{
		ID: NewID(), Subject: req.Subject, Source: req.Source, Rule: req.Rule, Claim: req.Claim, Value: req.Value,
		EvidenceHash: hash, Evidence: req.Evidence, Status: ApprovalPending, RequestedAt: now,
		ExpiresAt: now.Add(m.Settings.ExpiresAfter), Environment: req.Environment, ClientID: req.ClientID,
	})
	if err != nil {
		return Answer{}, fmt.Errorf("%w: approval store: %v", ErrUnavailable, err)
	}
	switch a.Status {
	case ApprovalApproved:
		return Answer{Verdict: Verified, Reason: "manual: approved", Reference: a.ID}, nil
	case ApprovalRejected:
		return Answer{Verdict: Rejected, Reason: "manual: rejected", Reference: a.ID}, nil
	}
	if !now.Before(a.ExpiresAt) {
		if _, err := m.Store.DecideApproval(ctx, a.ID, ApprovalExpired, "", now); err != nil && !errors.Is(err, ErrAlreadyDecided) {
			return Answer{}, fmt.Errorf("%w: approval store: %v", ErrUnavailable, err)
		}
		return Answer{Verdict: Pending, Reason: "manual: expired", Reference: a.ID}, nil
	}
	if created && m.Notifier != nil {
		if err := m.Notifier.NotifyApprovers(ctx, a, m.Settings.Approvers, false); err != nil {
			// The request stands (reminders retry the notice); say so.
			return Answer{Verdict: Pending, Reason: "manual: awaiting approval (notice failed)", Reference: a.ID}, nil
		}
	}
	return Answer{Verdict: Pending, Reason: "manual: awaiting approval", Reference: a.ID}, nil
}

// NewID returns a random 128-bit id in hex.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}
