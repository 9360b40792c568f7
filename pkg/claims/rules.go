package claims

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// RulesDir is where claim rules live below the mappings directory.
const RulesDir = "claims"

// Combine is how a rule's authorities decide together.
type Combine string

const (
	// All: every authority must verify; the first rejection rejects
	// (the rest are not asked); otherwise a pending one leaves it pending.
	All Combine = "all"
	// Any: the first authority that verifies verifies; all rejecting
	// rejects; otherwise pending.
	Any Combine = "any"
	// First: the first decisive answer (verified or rejected) in order
	// wins; an authority that is down passes to the next; none decisive
	// leaves it pending.
	First Combine = "first"
)

// Defaults of a rule.
const (
	// DefaultValidFor is how long a verdict holds before it is checked
	// again: a year, the renewal cycle of most registrations.
	DefaultValidFor = 365 * 24 * time.Hour
	// DefaultRetryFor is how long a claim stays pending, retried, while
	// its authorities are down, before the verifier gives the message up
	// to its dead-letter queue (still pending: never rejected).
	DefaultRetryFor = 72 * time.Hour
	// DefaultTimeout bounds one authority's answer.
	DefaultTimeout = 2 * time.Second
)

// ManualKind is the authority kind of a manual approval: it is built by
// the verifier (it needs the store, the links and the notifiers), not by
// the authority registry.
const ManualKind = "manual"

// AuthoritySpec is one authority as a rule names it.
type AuthoritySpec struct {
	Name     string // unique in the rule; defaults to the kind
	Kind     string
	Settings map[string]any
	Secret   string        // secret name with its credentials; "" for public registries
	Timeout  time.Duration // DefaultTimeout when zero
}

// WriteBack says which custom attributes of the CIAM profile a verdict
// writes. Empty names are not written.
type WriteBack struct {
	Status     string // verified | rejected | pending
	VerifiedAt string // RFC 3339 time of the decision
	ExpiresAt  string // RFC 3339 time the verdict stops holding
	Authority  string // the deciding authority's name
	Reference  string // the authority's reference (NPI, consultation number, account id)
	// Attributes copy what the deciding authority found: custom attribute
	// name → the authority's attribute name (enrichment).
	Attributes map[string]string
	// OnVerified and OnRejected are constant attributes written with the
	// verdict (roles, groups, flags); removed again (nil) when a later
	// verdict is the other one.
	OnVerified map[string]any
	OnRejected map[string]any
}

// Names lists every attribute name a verdict may write, sorted.
func (w WriteBack) Names() []string {
	var out []string
	for _, n := range []string{w.Status, w.VerifiedAt, w.ExpiresAt, w.Authority, w.Reference} {
		if n != "" {
			out = append(out, n)
		}
	}
	for n := range w.Attributes {
		out = append(out, n)
	}
	for n := range w.OnVerified {
		out = append(out, n)
	}
	for n := range w.OnRejected {
		out = append(out, n)
	}
	sort.Strings(out)
	return slicesCompact(out)
}

func slicesCompact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Evidence is one named evidence value and the profile path it comes from.
type Evidence struct {
	Name string
	Path mapping.Path
	// Expr, when set instead of Path, computes the value (`{expr:
	// 'split(email, "@")[1]'}`: the e-mail's domain).
	Expr *mapping.Expr
}

// Policy is a rule resolved for one environment and client.
type Policy struct {
	// Declared is where the customer's declaration is; Value the declared
	// value this rule verifies ("" verifies any non-empty value).
	Declared mapping.Path
	Value    string
	// When, if set, must also hold for the rule to apply.
	When *mapping.Condition
	// Events are the event types that start a verification.
	Events      []profile.EventType
	Evidence    []Evidence // in file order
	Authorities []AuthoritySpec
	Combine     Combine
	ValidFor    time.Duration
	RetryFor    time.Duration
	WriteBack   WriteBack
}

// Rule is one loaded claim rule file.
type Rule struct {
	Name  string // the file name without .yaml
	File  string
	Claim string // the claim's name in the audit and events

	base    *Policy
	envs    map[string]*Policy
	clients map[string]*Policy
	both    map[[2]string]*Policy
}

// Resolve returns the policy for an environment and client: the default,
// overridden by the environment's entry, overridden by the client's.
func (r *Rule) Resolve(env, clientID string) *Policy {
	if p, ok := r.both[[2]string{env, clientID}]; ok {
		return p
	}
	if p, ok := r.envs[env]; ok {
		return p
	}
	if p, ok := r.clients[clientID]; ok {
		return p
	}
	return r.base
}

// Policies returns every resolved policy of the rule (the default first),
// for building authorities and for the template.
func (r *Rule) Policies() []*Policy {
	out := []*Policy{r.base}
	for _, m := range []map[string]*Policy{r.envs, r.clients} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, m[k])
		}
	}
	keys := make([][2]string, 0, len(r.both))
	for k := range r.both {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"\x00"+keys[i][1] < keys[j][0]+"\x00"+keys[j][1] })
	for _, k := range keys {
		out = append(out, r.both[k])
	}
	return out
}

// Subscribes says whether e may start a verification under p: its type is
// one of p's events. (Whether the profile declares the claim is known
// only once the profile is at hand: Applies.)
func (p *Policy) Subscribes(e profile.Event) bool {
	for _, t := range p.Events {
		if t == e.Type {
			return true
		}
	}
	return false
}

// Applies says whether prof declares the claim p verifies (and p's when
// holds), and returns the declared value.
func (p *Policy) Applies(prof *profile.Profile, e *profile.Event) (string, bool, error) {
	v, ok := p.Declared.Lookup(prof)
	if !ok {
		return "", false, nil
	}
	s := scalar(v)
	if s == "" || (p.Value != "" && s != p.Value) {
		return "", false, nil
	}
	if p.When != nil {
		holds, err := p.When.Holds(prof, e)
		if err != nil || !holds {
			return "", false, err
		}
	}
	return s, true, nil
}

// EvidenceOf reads p's evidence from prof.
func (p *Policy) EvidenceOf(prof *profile.Profile) map[string]string {
	out := make(map[string]string, len(p.Evidence))
	for _, ev := range p.Evidence {
		var v any
		var ok bool
		if ev.Expr != nil {
			var err error
			v, err = ev.Expr.Eval(prof, nil)
			ok = err == nil // an expression that fails on this profile finds no evidence
		} else {
			v, ok = ev.Path.Lookup(prof)
		}
		if ok {
			if s := scalar(v); s != "" {
				out[ev.Name] = s
			}
		}
	}
	return out
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		return strings.TrimSpace(fmt.Sprint(x))
	}
}

// RuleSet is every claim rule of a deployment.
type RuleSet struct {
	list   []*Rule
	byName map[string]*Rule
}

// NewRuleSet builds a set from parsed rules.
func NewRuleSet(rs ...*Rule) *RuleSet {
	s := &RuleSet{byName: map[string]*Rule{}}
	for _, r := range rs {
		s.list = append(s.list, r)
		s.byName[r.Name] = r
	}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].Name < s.list[j].Name })
	return s
}

// All returns the rules sorted by name.
func (s *RuleSet) All() []*Rule {
	if s == nil {
		return nil
	}
	return s.list
}

// Get returns the rule called name, or nil.
func (s *RuleSet) Get(name string) *Rule {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// Subscribes says whether any rule may verify something on e: the
// ingress routes such events to the verifier's queue.
func (s *RuleSet) Subscribes(e profile.Event) bool {
	for _, r := range s.All() {
		if r.Resolve(e.Environment, e.ClientID).Subscribes(e) {
			return true
		}
	}
	return false
}

// Wants says whether the ingress should route e to the verifier's queue:
// a rule starts on its type and, when the event carries its profile, the
// profile declares a claim a rule verifies (a thin event is routed, and
// the verifier decides once it has fetched the profile).
func (s *RuleSet) Wants(e profile.Event) bool {
	for _, r := range s.All() {
		p := r.Resolve(e.Environment, e.ClientID)
		if !p.Subscribes(e) {
			continue
		}
		if e.Profile == nil {
			return true
		}
		if _, ok, _ := p.Applies(e.Profile, &e); ok {
			return true
		}
	}
	return false
}

// RetryFor is the longest retry_for of the rules (DefaultRetryFor when
// there are none): how long the verifier's queue retries a claim whose
// authority is down.
func (s *RuleSet) RetryFor() time.Duration {
	var b time.Duration
	for _, r := range s.All() {
		for _, p := range r.Policies() {
			b = max(b, p.RetryFor)
		}
	}
	if b == 0 {
		b = DefaultRetryFor
	}
	return b
}
