package claims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// DecideApproval records an approver's decision on approval id (once:
// a second one wraps ErrAlreadyDecided) and runs the claim's rule again
// on the subject's current profile, so the verdict is recorded and
// written back at once.
func (v *Verifier) DecideApproval(ctx context.Context, id string, approved bool, approver string) (Result, error) {
	status := ApprovalRejected
	if approved {
		status = ApprovalApproved
	}
	a, err := v.Store.Approval(ctx, id)
	if err != nil {
		return Result{}, err
	}
	now := v.now().UTC()
	if a.Status == ApprovalPending && !now.Before(a.ExpiresAt) {
		_, _ = v.Store.DecideApproval(ctx, id, ApprovalExpired, "", now)
		return Result{}, ErrApprovalExpired
	}
	if _, err := v.Store.DecideApproval(ctx, id, status, approver, now); err != nil {
		return Result{}, err
	}
	res, err := v.Reverify(ctx, a)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrDecisionNotApplied, err)
	}
	return res, nil
}

// ErrApprovalExpired is what deciding an approval past its expiry wraps.
var ErrApprovalExpired = errors.New("approval expired")

// ErrDecisionNotApplied wraps a recorded decision whose verdict could not
// be applied yet (the CIAM was down): it applies at the subject's next
// event.
var ErrDecisionNotApplied = errors.New("decision recorded, verdict not applied yet")

// Reverify runs a's rule on the subject's current profile from its CIAM.
// The decision stands in the store even when this fails: the next event
// for the subject, or the next reminder run, picks it up.
func (v *Verifier) Reverify(ctx context.Context, a Approval) (Result, error) {
	f, ok := v.Fetchers[a.Source]
	if !ok {
		return Result{}, fmt.Errorf("source %q has no fetch API: the decision is recorded and applies at the subject's next event", a.Source)
	}
	prof, err := f.Fetch(ctx, a.Subject)
	if err != nil {
		return Result{}, fmt.Errorf("fetch the profile: %w", err)
	}
	res, err := v.Verify(ctx, Input{Source: a.Source, Profile: prof, Environment: a.Environment, ClientID: a.ClientID},
		Options{Rules: []string{a.Rule}})
	if err != nil {
		return Result{}, err
	}
	if len(res) == 0 {
		return Result{}, errors.New("the profile no longer declares the claim")
	}
	return res[0], nil
}

// Remind sends reminders for approvals pending longer than their rule's
// remind_every and expires those past expires_after. It runs on a
// schedule (hourly on AWS). It returns how many it reminded and expired.
func (v *Verifier) Remind(ctx context.Context, notifier ApprovalNotifier) (reminded, expired int, err error) {
	pending, err := v.Store.PendingApprovals(ctx)
	if err != nil {
		return 0, 0, err
	}
	now := v.now().UTC()
	var errs []error
	for _, a := range pending {
		s, ok := v.manualSettings(a)
		if !ok {
			continue
		}
		if !now.Before(a.ExpiresAt) {
			if _, err := v.Store.DecideApproval(ctx, a.ID, ApprovalExpired, "", now); err == nil {
				expired++
				v.log().LogAttrs(ctx, slog.LevelInfo, "claims: approval expired", slog.String("rule", a.Rule), slog.String("approval", a.ID))
			}
			continue
		}
		last := a.RemindedAt
		if last.IsZero() {
			last = a.RequestedAt
		}
		if now.Sub(last) < s.RemindEvery || notifier == nil {
			continue
		}
		if err := notifier.NotifyApprovers(ctx, a, s.Approvers, true); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := v.Store.Reminded(ctx, a.ID, now); err != nil {
			errs = append(errs, err)
			continue
		}
		reminded++
	}
	return reminded, expired, errors.Join(errs...)
}

// Approvers are who may decide a (its rule's manual authority's).
func (v *Verifier) Approvers(a Approval) []string {
	s, _ := v.manualSettings(a)
	return s.Approvers
}

// manualSettings finds the manual authority of a's rule.
func (v *Verifier) manualSettings(a Approval) (ManualSettings, bool) {
	r := v.Rules.Get(a.Rule)
	if r == nil {
		return ManualSettings{}, false
	}
	for _, spec := range r.Resolve(a.Environment, a.ClientID).Authorities {
		if spec.Kind == ManualKind {
			s, err := ParseManualSettings(spec.Settings)
			return s, err == nil
		}
	}
	return ManualSettings{}, false
}
