package samgen

import (
	"fmt"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// The claim verifier's blocks: one function whatever the rules, but its
// secrets, its queue's redrive and whether it has manual approvals follow
// the rule files (mappings/claims/*.yaml). With no rules they are empty:
// no verifier, and the ingress routes nothing to it.
const (
	BlockClaimParameters    = "CLAIM PARAMETERS"
	BlockClaimQueueURL      = "CLAIM QUEUE URL"
	BlockClaimIngressPolicy = "CLAIM INGRESS POLICY"
	BlockClaims             = "CLAIMS"
	BlockClaimOutputs       = "CLAIM OUTPUTS"
)

// The verifier's queue consumer. It handles a batch's messages one after
// the other, each waiting on its authorities (claims.DefaultTimeout
// each): five fit the function Timeout. Public registries throttle, so
// few run at once.
const (
	claimsBatchSize      = 5
	claimsMaxConcurrency = 5
)

// Secrets every verifier reads besides its authorities'.
const (
	// ClaimsAPISecret lists the callers of POST /claims/verify
	// (verifier.ClaimsAPISecret).
	ClaimsAPISecret = "claims-api"
	// ClaimsApprovalsSecret signs approval links (verifier.ClaimsApprovalsSecret);
	// only rules with a manual authority need it.
	ClaimsApprovalsSecret = "claims-approvals"
)

// Claims is what the claim rules tell the template.
type Claims struct {
	// Secrets are the secret names the rules' authorities read, sorted.
	Secrets []string
	// RetryFor is the longest retry_for of the rules: the verifier's
	// queue retries that long (claims.RuleSet.RetryFor).
	RetryFor time.Duration
	// Manual says some rule has a manual authority: the verifier then gets
	// the approvals secret, an SNS topic for approvers and an hourly
	// reminder schedule.
	Manual bool
}

// ClaimsOf summarises rules for the template; nil when there are none.
func ClaimsOf(rules *claims.RuleSet) *Claims {
	if len(rules.All()) == 0 {
		return nil
	}
	c := &Claims{}
	for _, r := range rules.All() {
		for _, p := range r.Policies() {
			c.RetryFor = max(c.RetryFor, p.RetryFor)
			for _, a := range p.Authorities {
				if a.Kind == claims.ManualKind {
					c.Manual = true
				}
				if a.Secret != "" && !slices.Contains(c.Secrets, a.Secret) {
					c.Secrets = append(c.Secrets, a.Secret)
				}
			}
		}
	}
	if c.RetryFor == 0 {
		c.RetryFor = claims.DefaultRetryFor
	}
	slices.Sort(c.Secrets)
	return c
}

// secretParam is one secret of the verifier and the parameter holding its
// ARN.
type secretParam struct {
	Name string // the SECRET_ARNS key
	ID   string // the parameter is <ID>SecretArn
	New  bool   // declared by the CLAIM PARAMETERS block
	What string // for the parameter's description
}

// claimsView is the claim blocks' data.
type claimsView struct {
	Secrets         []secretParam // SECRET_ARNS order: sources, then the claims'
	MaxReceiveCount int
	RetryFor        string
	Retention       int
	Visibility      int
	Timeout         int
	OldestAgeAlarm  int
	BatchSize       int
	MaxConcurrency  int
	Manual          bool
}

// claimsViewOf resolves c's secrets against the targets' and sources'
// parameters: a secret a target or source already has (the salesforce
// authority reading the salesforce target's credentials) shares its
// parameter.
func claimsViewOf(c *Claims, targets []target, env environment) (*claimsView, error) {
	if c == nil {
		return nil, nil
	}
	policy := delivery.Policy{Budget: c.RetryFor}
	receives := policy.Receives()
	if receives > MaxMaxReceiveCount {
		return nil, &mapping.Error{File: claims.RulesDir, Field: "retry_for",
			Msg: fmt.Sprintf("%s needs %d receives, above SQS's %d", fmtDuration(c.RetryFor), receives, MaxMaxReceiveCount)}
	}
	v := &claimsView{
		MaxReceiveCount: receives, RetryFor: fmtDuration(c.RetryFor), Retention: int(policy.Retention().Seconds()),
		Timeout: env.timeout, Visibility: visibilityFactor * env.timeout,
		OldestAgeAlarm: int(min(maxOldestAgeAlarm, c.RetryFor/4).Seconds()),
		BatchSize:      claimsBatchSize, MaxConcurrency: claimsMaxConcurrency, Manual: c.Manual,
	}
	taken := map[string]string{} // parameter id → the secret it holds
	byName := map[string]string{}
	for _, t := range targets {
		taken[t.ID] = t.Secret
		byName[t.Secret] = t.ID
	}
	seen := map[string]bool{}
	for _, s := range env.sources {
		v.Secrets = append(v.Secrets, secretParam{Name: s, ID: LogicalID(s)})
		seen[s] = true
		taken[LogicalID(s)] = s
	}
	names := []string{ClaimsAPISecret}
	if c.Manual {
		names = append(names, ClaimsApprovalsSecret)
	}
	names = append(names, c.Secrets...)
	for _, s := range names {
		if seen[s] {
			continue
		}
		seen[s] = true
		if !secretRE.MatchString(s) {
			return nil, &mapping.Error{File: claims.RulesDir, Field: "authorities.secret", Msg: fmt.Sprintf("%q: want letters, digits, '.', '_' or '-'", s)}
		}
		if id, ok := byName[s]; ok {
			v.Secrets = append(v.Secrets, secretParam{Name: s, ID: id})
			continue
		}
		id := LogicalID(s)
		if other, ok := taken[id]; ok {
			return nil, &mapping.Error{File: claims.RulesDir, Field: "authorities.secret",
				Msg: fmt.Sprintf("secret %q would take parameter %sSecretArn, which holds secret %q; rename one", s, id, other)}
		}
		taken[id] = s
		v.Secrets = append(v.Secrets, secretParam{Name: s, ID: id, New: true, What: secretWhat(s)})
	}
	return v, nil
}

func secretWhat(s string) string {
	switch s {
	case ClaimsAPISecret:
		return "the callers of POST /claims/verify (their API keys or HMAC secrets)"
	case ClaimsApprovalsSecret:
		return "the manual approvals (the key signing approval links, their base URL)"
	}
	return s + ", a secret the claim rules name (an authority's credentials or base_url)"
}
