package claims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

// Publisher announces decisions: a ClaimDecided event on the bus.
type Publisher interface {
	PublishDecision(ctx context.Context, d Decision) error
}

// Verifier checks a profile's declared claims against their rules,
// records each decision and writes the verdict back to the CIAM.
type Verifier struct {
	Rules  *RuleSet
	Engine *Engine
	Store  Store
	// Fetchers are the CIAM sources by name; those that are also
	// source.Updaters take write-backs.
	Fetchers map[string]source.Fetcher
	Events   Publisher // optional
	Now      func() time.Time
	Log      *slog.Logger
}

// Input is a profile to check.
type Input struct {
	Source      string
	Profile     *profile.Profile
	Event       *profile.Event // nil for a direct request
	Environment string
	ClientID    string
}

// eventID is the id of the event being verified, "" for a direct request:
// the logs' link to the ingress's and the sync functions' lines.
func (in Input) eventID() string {
	if in.Event == nil {
		return ""
	}
	return in.Event.ID
}

// Options change how Verify runs.
type Options struct {
	// DryRun asks the authorities and returns the decisions without
	// recording them or writing anything back.
	DryRun bool
	// Force asks the authorities even when a stored verdict still holds.
	Force bool
	// Rules limits the check to these rules (none: every rule).
	Rules []string
	// NoWriteBack records decisions but leaves the CIAM alone: the caller
	// stores the verdict itself (an Okta or Kratos hook answer).
	NoWriteBack bool
}

// Result is the outcome of one rule for one profile.
type Result struct {
	Rule     string
	Decision Decision
	// Cached is true when a stored verdict still held: no authority was
	// asked.
	Cached bool
	// Steps are each authority's answer (empty when cached).
	Steps []Step
	// Retry is true when an authority was unavailable: the verdict is
	// pending and the check must run again later.
	Retry bool
	// WriteBack is what the verdict writes to the profile's custom
	// attributes; Written is true when it was sent (it differed from
	// what the profile holds).
	WriteBack map[string]any
	Written   bool
}

// ErrNoUpdater is what a write-back to a source without an update API
// wraps.
var ErrNoUpdater = errors.New("source cannot update profiles")

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) log() *slog.Logger {
	if v.Log != nil {
		return v.Log
	}
	return slog.Default()
}

// Verify checks every rule that applies to in.Profile. The error is for
// what the caller must retry: a store that failed, a write-back that
// failed; a result with Retry says an authority was down.
func (v *Verifier) Verify(ctx context.Context, in Input, opts Options) ([]Result, error) {
	if in.Profile == nil || in.Profile.Sub == "" {
		return nil, errors.New("claims: a profile with a subject is required")
	}
	var out []Result
	for _, r := range v.Rules.All() {
		if len(opts.Rules) > 0 && !slices.Contains(opts.Rules, r.Name) {
			continue
		}
		p := r.Resolve(in.Environment, in.ClientID)
		if in.Event != nil && !p.Subscribes(*in.Event) {
			continue
		}
		value, ok, err := p.Applies(in.Profile, in.Event)
		if err != nil {
			return out, fmt.Errorf("claim rule %s: %w", r.Name, err)
		}
		if !ok {
			continue
		}
		res, err := v.verifyRule(ctx, r, p, value, in, opts)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (v *Verifier) verifyRule(ctx context.Context, r *Rule, p *Policy, value string, in Input, opts Options) (Result, error) {
	now := v.now().UTC()
	evidence := p.EvidenceOf(in.Profile)
	hash := EvidenceHash(r.Name, value, evidence)
	res := Result{Rule: r.Name}
	latest, err := v.Store.Latest(ctx, in.Profile.Sub, r.Name)
	if err != nil {
		return res, fmt.Errorf("claims store: %w", err)
	}
	if !opts.Force && latest.Holds(hash, now) {
		res.Decision, res.Cached = *latest, true
	} else {
		req := Request{Claim: r.Claim, Value: value, Subject: in.Profile.Sub, Rule: r.Name, Source: in.Source,
			Environment: in.Environment, ClientID: in.ClientID, Evidence: evidence, EmailVerified: in.Profile.EmailVerified}
		o := v.Engine.Run(ctx, p, req)
		res.Steps, res.Retry = o.Steps, o.Verdict == Pending && o.Unavailable
		d := Decision{ID: NewID(), Subject: in.Profile.Sub, Source: in.Source, Rule: r.Name, Claim: r.Claim, Value: value,
			Verdict: o.Verdict, Reason: o.Reason, Authority: o.Authority, Reference: o.Reference, EvidenceHash: hash,
			Attributes: o.Attributes, DecidedAt: now, DecidedBy: "rule:" + r.Name,
			Environment: in.Environment, ClientID: in.ClientID}
		if isManual(p, o.Authority) {
			if a, err := v.Store.Approval(ctx, o.Reference); err == nil && a.Approver != "" {
				d.DecidedBy = "approver:" + a.Approver
			}
		}
		if d.Verdict != Pending {
			d.ExpiresAt = now.Add(p.ValidFor)
		}
		res.Decision = d
		if !opts.DryRun && !samePending(latest, d) {
			if err := v.Store.Record(ctx, d); err != nil {
				return res, fmt.Errorf("claims store: %w", err)
			}
			v.log().LogAttrs(ctx, slog.LevelInfo, "claim decided", slog.String("rule", r.Name),
				slog.String("event_id", in.eventID()), slog.String("subject_hash", SubjectHash(d.Subject)), slog.String("verdict", string(d.Verdict)),
				slog.String("reason", d.Reason), slog.String("authority", d.Authority))
			if v.Events != nil {
				if err := v.Events.PublishDecision(ctx, d); err != nil {
					v.log().LogAttrs(ctx, slog.LevelWarn, "claim decided: event not published",
						slog.String("rule", r.Name), slog.String("error", err.Error()))
				}
			}
		}
	}
	res.WriteBack = WriteBackOf(p.WriteBack, res.Decision)
	if opts.DryRun || opts.NoWriteBack {
		return res, nil
	}
	changes := Differs(in.Profile.Custom, res.WriteBack)
	if len(changes) == 0 {
		return res, nil // the echo of our own write-back ends here
	}
	f, ok := v.Fetchers[in.Source]
	u, isUpdater := f.(source.Updater)
	if !ok || !isUpdater {
		return res, fmt.Errorf("claim rule %s: write back to %q: %w", r.Name, in.Source, ErrNoUpdater)
	}
	if err := u.Update(ctx, in.Profile.Sub, changes); err != nil {
		return res, fmt.Errorf("claim rule %s: write back to %s: %w", r.Name, in.Source, err)
	}
	res.Written = true
	return res, nil
}

// samePending is true when d repeats a stored pending decision (an
// authority still down, an approval still awaited): one audit record per
// state, not one per retry.
func samePending(latest *Decision, d Decision) bool {
	return latest != nil && latest.Verdict == Pending && d.Verdict == Pending &&
		latest.EvidenceHash == d.EvidenceHash && latest.Reason == d.Reason
}

func isManual(p *Policy, name string) bool {
	for _, a := range p.Authorities {
		if a.Name == name {
			return a.Kind == ManualKind
		}
	}
	return false
}

// SubjectHash is what logs carry instead of a subject: redact.SubjectHash,
// the same in every function.
func SubjectHash(subject string) string { return redact.SubjectHash(subject) }

// WriteBackOf is what decision d writes to the profile under w.
func WriteBackOf(w WriteBack, d Decision) map[string]any {
	out := map[string]any{}
	set := func(name string, v any) {
		if name != "" {
			out[name] = v
		}
	}
	set(w.Status, string(d.Verdict))
	if d.Verdict == Pending {
		set(w.VerifiedAt, nil)
		set(w.ExpiresAt, nil)
	} else {
		set(w.VerifiedAt, d.DecidedAt.UTC().Format(time.RFC3339))
		set(w.ExpiresAt, d.ExpiresAt.UTC().Format(time.RFC3339))
	}
	set(w.Authority, emptyNil(d.Authority))
	set(w.Reference, emptyNil(d.Reference))
	for name, from := range w.Attributes {
		if v, ok := d.Attributes[from]; ok && d.Verdict == Verified {
			out[name] = v
		} else {
			out[name] = nil
		}
	}
	for name, v := range w.OnRejected {
		out[name] = nil
		if d.Verdict == Rejected {
			out[name] = v
		}
	}
	for name, v := range w.OnVerified {
		if d.Verdict == Verified {
			out[name] = v
		} else if _, both := w.OnRejected[name]; !both || d.Verdict != Rejected {
			out[name] = nil
		}
	}
	return out
}

func emptyNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Differs returns the entries of want that custom does not already hold
// (a nil in want differs only from a present attribute), as the update to
// send. A dotted name ("public_metadata.hcp_status") is a path into a
// nested object, and its change is sent nested ({"public_metadata":
// {"hcp_status": …}}): for CIAMs that keep custom data in one object and
// merge an update into it (Clerk's public_metadata, Auth0's app_metadata).
func Differs(custom map[string]any, want map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range want {
		have, ok := lookupDotted(custom, k)
		if v == nil {
			if ok && have != nil {
				setDotted(out, k, nil)
			}
			continue
		}
		if !ok || !sameValue(have, v) {
			setDotted(out, k, v)
		}
	}
	return out
}

func lookupDotted(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	head, rest, dotted := strings.Cut(name, ".")
	if !dotted {
		return nil, false
	}
	sub, ok := m[head].(map[string]any)
	if !ok {
		return nil, false
	}
	return lookupDotted(sub, rest)
}

func setDotted(m map[string]any, name string, v any) {
	head, rest, dotted := strings.Cut(name, ".")
	if !dotted {
		m[name] = v
		return
	}
	sub, ok := m[head].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[head] = sub
	}
	setDotted(sub, rest, v)
}

// sameValue compares a value read back from JSON with one we wrote.
func sameValue(a, b any) bool {
	if fmt.Sprint(a) == fmt.Sprint(b) {
		return true
	}
	return reflect.DeepEqual(a, b)
}
