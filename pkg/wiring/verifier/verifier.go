// Package verifier assembles the claim verifier function from its ports,
// as pkg/wiring does the ingress and sync functions: the Lambda
// (functions/verifier, with pkg/lambdaenv) and the local stack
// (pkg/devstack) call this same constructor. It is a package of its own so
// that the other functions link none of it (the approval pages' templates,
// the authorities).
package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// Secret names the verifier reads.
const (
	// ClaimsAPISecret lists the callers of POST /claims/verify
	// (claims.CallersSpec).
	ClaimsAPISecret = "claims-api"
)

// AuthorityBuilder builds an authority of kind from its settings and
// secret: the authority registry's Build (pkg/claims/authority/registry),
// passed in so that no other function links the authorities.
type AuthorityBuilder func(kind, name string, settings map[string]any, secret []byte, hc *http.Client) (claims.Authority, error)

// Ports are the claim verifier function's ports.
type Ports struct {
	wiring.Function
	Rules       *claims.RuleSet
	Authorities AuthorityBuilder
	// Store keeps decisions and approvals: DynamoDB on AWS, SQLite
	// locally.
	Store claims.Store
	// Queue is the verifier's own queue and DLQ (the asynchronous way
	// in); Continue sends to it (a check the synchronous way could not
	// finish continues there).
	Queue    wiring.RetryQueue
	Continue ingress.Queue
	// Events hears every decision (EventBridge ClaimDecided; optional).
	Events claims.Publisher
	// Notifier and Retries hear what became of each queued event, as a
	// sync function's do (optional).
	Notifier delivery.Notifier
	Retries  delivery.Notifier
	// Policy tunes the retries while an authority is down; a zero Budget
	// is the longest retry_for of the rules.
	Policy delivery.Policy
	Bodies delivery.StoredBodies
	// Approvals serves and announces manual approvals (optional: rules
	// with a manual authority need it).
	Approvals *Approvals
}

// Verifier is the built claim verifier: its two ways in and the
// verifier they share.
type Verifier struct {
	Verifier *claims.Verifier
	Queue    *claims.QueueHandler
	// HTTP serves POST /claims/verify and the approval links.
	HTTP http.Handler
	// Notifier tells approvers of requests and reminders (nil without
	// manual approvals).
	Notifier claims.ApprovalNotifier
}

// Remind is the scheduled run (hourly on AWS): reminders for approvals
// pending past their rule's remind_every, expiry for those past
// expires_after.
func (v *Verifier) Remind(ctx context.Context) (reminded, expired int, err error) {
	return v.Verifier.Remind(ctx, v.Notifier)
}

// New builds the verifier function.
func New(ctx context.Context, p Ports) (*Verifier, error) {
	if p.Rules == nil || p.Secrets == nil || p.Store == nil || p.Queue == nil || p.Authorities == nil {
		return nil, errors.New("verifier: rules, secrets, store, queue and authorities are required")
	}
	hc := p.HTTPClient()
	_, fetchers, err := sourcereg.BuildAll(ctx, p.Sources, p.Secrets, hc)
	if err != nil {
		return nil, err
	}
	v := &claims.Verifier{Rules: p.Rules, Store: p.Store, Fetchers: fetchers, Events: p.Events, Now: p.NowFunc(), Log: p.Logger()}
	var manual claims.ApprovalNotifier
	if p.Approvals != nil {
		manual = p.Approvals.Notifier
	}
	engine, err := claims.NewEngine(p.Rules, func(r *claims.Rule, a claims.AuthoritySpec) (claims.Authority, error) {
		if a.Kind == claims.ManualKind {
			if p.Approvals == nil {
				return nil, fmt.Errorf("authority %s: manual approval needs the approvals secret", a.Name)
			}
			if p.Approvals.Channels == 0 {
				p.Logger().Warn("manual approvals: no web hook and no SNS topic; approvers hear of requests only through `profilesync claims pending`", "rule", r.Name)
			}
			s, err := claims.ParseManualSettings(a.Settings)
			if err != nil {
				return nil, err
			}
			return &claims.Manual{Name: a.Name, Settings: s, Store: p.Store, Notifier: manual, Now: p.NowFunc()}, nil
		}
		settings, secret := a.Settings, []byte(nil)
		if a.Secret != "" {
			raw, err := p.Secrets.Secret(ctx, a.Secret)
			if err != nil {
				return nil, fmt.Errorf("authority %s: read secret %s: %w", a.Name, a.Secret, err)
			}
			if settings, secret, err = SecretBaseURL(settings, raw); err != nil {
				return nil, fmt.Errorf("authority %s: secret %s: %w", a.Name, a.Secret, err)
			}
		}
		return p.Authorities(a.Kind, a.Name, settings, secret, hc)
	})
	if err != nil {
		return nil, err
	}
	v.Engine = engine
	policy := p.Policy
	if policy.Budget == 0 {
		policy.Budget = p.Rules.RetryFor()
	}
	q := &claims.QueueHandler{Verifier: v, Queue: p.Queue, Policy: policy, Bodies: p.Bodies, Notifier: p.Notifier, Retries: p.Retries}
	mux := http.NewServeMux()
	if raw, err := p.Secrets.Secret(ctx, ClaimsAPISecret); err == nil {
		callers, err := claims.ParseCallers(raw)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", ClaimsAPISecret, err)
		}
		mux.Handle("POST "+claims.VerifyPath, &claims.API{Verifier: v, Callers: callers, Queue: p.Continue})
	} else {
		p.Logger().Warn("no claims-api secret: POST /claims/verify answers 503", "error", err.Error())
		mux.HandleFunc("POST "+claims.VerifyPath, func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":"the claims API has no callers configured"}`, http.StatusServiceUnavailable)
		})
	}
	if p.Approvals != nil && p.Approvals.Handler != nil {
		mux.Handle(ApprovalsPath, p.Approvals.Handler(v))
	}
	return &Verifier{Verifier: v, Queue: q, HTTP: mux, Notifier: manual}, nil
}

// ApprovalsPath is where the approval links point.
const ApprovalsPath = "/claims/approvals/"

// Approvals are the manual approvals' ports: how approvers hear of a
// request (signed links by webhook or SNS) and the handler that serves
// the links (pkg/claims/approval).
type Approvals struct {
	// Links signs the approval links (the CLI prints them for a person
	// who has no chat channel).
	Links    approval.Links
	Notifier claims.ApprovalNotifier
	Handler  func(v *claims.Verifier) http.Handler
	// Channels counts the notifiers (web hook, SNS topic) approvers hear
	// through.
	Channels int
}

// SecretBaseURL lets an authority's secret point its base_url elsewhere
// than the rule says (the local sandbox, a proxy, a registry's test
// service) without a second rule file: a secret that holds only a
// "base_url" replaces that setting and is no secret for the authority.
// Any other secret (credentials, whose own base_url is the API's) is the
// authority's, unchanged.
func SecretBaseURL(settings map[string]any, secret []byte) (map[string]any, []byte, error) {
	var m map[string]any
	if err := json.Unmarshal(secret, &m); err != nil {
		return nil, nil, errors.New("not a JSON object")
	}
	u, ok := m["base_url"]
	if !ok || len(m) != 1 {
		return settings, secret, nil
	}
	out := make(map[string]any, len(settings)+1)
	for k, v := range settings {
		out[k] = v
	}
	out["base_url"] = u
	return out, nil, nil
}
