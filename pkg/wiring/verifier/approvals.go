package verifier

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/spec"
)

// ClaimsApprovalsSecret configures manual approvals.
const ClaimsApprovalsSecret = "claims-approvals"

// ApprovalsSpec is that secret.
var ApprovalsSpec = spec.Component{
	Kind:    ClaimsApprovalsSecret,
	Summary: "Manual approvals: the key that signs approval links, where they point, and a chat web hook for approvers.",
	Secret: []spec.Field{
		{Name: "link_key", Type: spec.String, Required: true, Description: "Base64 of at least 32 random bytes: signs the approve and reject links."},
		{Name: "previous_link_keys", Type: spec.StringList, Description: "Keys rotated out whose links still open (base64)."},
		{Name: "base_url", Type: spec.String, Required: true, Description: "The verifier's public URL (the API's), which the links start with."},
		{Name: "webhook_url", Type: spec.String, Description: "A chat web hook (Slack-compatible) that hears of each request and reminder."},
		{Name: "webhook_format", Type: spec.String, Enum: []string{"slack", "json"}, Default: "slack", Description: "What the web hook is sent."},
	},
}

type approvalsSecret struct {
	LinkKey       string   `json:"link_key"`
	Previous      []string `json:"previous_link_keys"`
	BaseURL       string   `json:"base_url"`
	WebhookURL    string   `json:"webhook_url"`
	WebhookFormat string   `json:"webhook_format"`
}

// ApprovalsConfig builds the manual approvals' ports from the approvals
// secret and, when the deployment has one, an SNS topic's notifier.
func ApprovalsConfig(raw []byte, hc *http.Client, sns approval.Notifier, now func() time.Time, log *slog.Logger) (*Approvals, error) {
	var s approvalsSecret
	if err := spec.DecodeJSON(ApprovalsSpec.Secret, raw, &s); err != nil {
		return nil, fmt.Errorf("secret %s: %w", ClaimsApprovalsSecret, err)
	}
	key, err := base64.StdEncoding.DecodeString(s.LinkKey)
	if err != nil {
		return nil, fmt.Errorf("secret %s: field \"link_key\": not base64", ClaimsApprovalsSecret)
	}
	links := approval.Links{Key: key, BaseURL: s.BaseURL, TTL: 7 * 24 * time.Hour, Now: now}
	for i, p := range s.Previous {
		k, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("secret %s: field \"previous_link_keys[%d]\": not base64", ClaimsApprovalsSecret, i)
		}
		links.Previous = append(links.Previous, k)
	}
	if err := links.Check(); err != nil {
		return nil, fmt.Errorf("secret %s: %w", ClaimsApprovalsSecret, err)
	}
	var notifiers approval.Multi
	if s.WebhookURL != "" {
		w := approval.Webhook{URL: s.WebhookURL, Format: s.WebhookFormat, Client: hc}
		if err := w.Check(); err != nil {
			return nil, fmt.Errorf("secret %s: %w", ClaimsApprovalsSecret, err)
		}
		notifiers = append(notifiers, w)
	}
	if sns != nil {
		notifiers = append(notifiers, sns)
	}
	return &Approvals{
		Channels: len(notifiers),
		Links:    links,
		Notifier: linkNotifier{links: links, notify: notifiers},
		Handler: func(v *claims.Verifier) http.Handler {
			return approval.Handler(links, decider{v: v, log: log}, log)
		},
	}, nil
}

// linkNotifier gives each approver links of their own and sends them.
type linkNotifier struct {
	links  approval.Links
	notify approval.Notifier
}

func (n linkNotifier) NotifyApprovers(ctx context.Context, a claims.Approval, approvers []string, reminder bool) error {
	var errs []error
	for _, who := range approvers {
		yes, no, exp, err := n.links.NewUntil(a.ID, who, a.ExpiresAt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := n.notify.Notify(ctx, approval.Notice{ID: a.ID, Claim: a.Claim, Value: a.Value, Rule: a.Rule,
			Approve: yes, Reject: no, Expires: exp, Reminder: reminder}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// decider is the verifier as the approval links' handler sees it.
type decider struct {
	v   *claims.Verifier
	log *slog.Logger
}

func (d decider) Show(ctx context.Context, id string) (approval.Summary, error) {
	a, err := d.v.Store.Approval(ctx, id)
	if errors.Is(err, claims.ErrNoApproval) {
		return approval.Summary{}, approval.ErrNotFound
	}
	if err != nil {
		return approval.Summary{}, err
	}
	return approval.Summary{Claim: a.Claim, Value: a.Value, Rule: a.Rule, Evidence: a.Evidence,
		RequestedAt: a.RequestedAt, Expires: a.ExpiresAt, Status: string(a.Status)}, nil
}

func (d decider) Decide(ctx context.Context, id string, approved bool, approver string) error {
	res, err := d.v.DecideApproval(ctx, id, approved, approver)
	switch {
	case errors.Is(err, claims.ErrNoApproval):
		return approval.ErrNotFound
	case errors.Is(err, claims.ErrApprovalExpired):
		return approval.ErrApprovalExpired
	case errors.Is(err, claims.ErrAlreadyDecided):
		return approval.ErrAlreadyDecided
	case errors.Is(err, claims.ErrDecisionNotApplied):
		// The decision is recorded; applying it waits for the subject's
		// next event. The approver's part is done.
		d.log.Warn("claims: approval recorded, verdict not applied yet", "approval", id, "error", err.Error())
		return nil
	case err != nil:
		return err
	}
	d.log.Info("claims: approval decided", "approval", id, "verdict", string(res.Decision.Verdict))
	return nil
}
