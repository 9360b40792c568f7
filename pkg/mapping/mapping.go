package mapping

import (
	"sort"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Mapping is one loaded, validated mapping file: one target instance.
type Mapping struct {
	Name      string // target name: the file name without .yaml
	File      string
	Connector string         // connector kind, e.g. salesforce
	Settings  map[string]any // connector settings, checked at load
	Secret    string         // secret name with the connector's credentials
	Delivery  Delivery
	Key       string // profile path whose value keys the target record
	// Log says how the per-record sync log shows each field's values.
	Log LogSettings
	// Warnings are the problems that did not stop the mapping from loading
	// (profile paths the canonical profile does not have).
	Warnings []*Error

	keyPath attrPath
	phone   bool // uses e164: see NeedsPhone
	// phoneFunc is the normaliser the mapping was loaded with (nil: e164
	// fields cannot be evaluated; see canEvaluate).
	phoneFunc PhoneFunc
	base      *Rules
	envs      map[string]*Rules
	clients   map[string]*Rules    // client on top of the default
	both      map[[2]string]*Rules // client on top of an environment
}

// Delivery holds per-target queue settings the template generator, the
// Lambda wiring and the local runtime read. Zero means the default.
type Delivery struct {
	MaxConcurrency int `yaml:"max_concurrency" json:"max_concurrency,omitempty"`
	// OutageBudget is how long the target may be down before its messages
	// are dead-lettered; the queue's receive count and retention follow
	// from it (delivery.Policy).
	OutageBudget time.Duration `yaml:"outage_budget" json:"outage_budget,omitempty"`
}

// Delivery defaults and limits, the same on AWS (the generated template)
// and locally.
const (
	DefaultMaxConcurrency = 5
	// DefaultOutageBudget is a day: Svix retries for about a day, Stripe
	// for three; the age-of-oldest-message alarm fires long before.
	DefaultOutageBudget = 24 * time.Hour
	// RetentionMargin is what a queue keeps a message beyond the budget.
	RetentionMargin = 24 * time.Hour
	// MaxOutageBudget keeps the retention within SQS's 14 days.
	MaxOutageBudget = 14*24*time.Hour - RetentionMargin
	// MinOutageBudget keeps a budget from dead-lettering a blip.
	MinOutageBudget = time.Minute
)

// Concurrency is MaxConcurrency or its default.
func (d Delivery) Concurrency() int {
	if d.MaxConcurrency == 0 {
		return DefaultMaxConcurrency
	}
	return d.MaxConcurrency
}

// Budget is OutageBudget or its default.
func (d Delivery) Budget() time.Duration {
	if d.OutageBudget == 0 {
		return DefaultOutageBudget
	}
	return d.OutageBudget
}

// Resolve returns the rules for an event's environment and client ID:
// the default, overridden by the environment's entry, overridden by the
// client's. Every combination was built and checked when the file loaded.
func (m *Mapping) Resolve(env, clientID string) *Rules {
	if r, ok := m.both[[2]string{env, clientID}]; ok {
		return r
	}
	if r, ok := m.envs[env]; ok { // a client of its own would have matched above
		return r
	}
	if r, ok := m.clients[clientID]; ok {
		return r
	}
	return m.base
}

// RulesFor is Resolve for an event.
func (m *Mapping) RulesFor(e profile.Event) *Rules { return m.Resolve(e.Environment, e.ClientID) }

// Set is every mapping of a deployment.
type Set struct {
	list   []*Mapping
	byName map[string]*Mapping
}

// NewSet builds a set from already parsed mappings (tests, tools).
func NewSet(ms ...*Mapping) *Set {
	s := &Set{byName: map[string]*Mapping{}}
	for _, m := range ms {
		s.add(m)
	}
	return s
}

func (s *Set) add(m *Mapping) {
	s.list = append(s.list, m)
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].Name < s.list[j].Name })
	s.byName[m.Name] = m
}

// All returns the mappings sorted by target name.
func (s *Set) All() []*Mapping { return s.list }

// Get returns the mapping of a target, or nil.
func (s *Set) Get(target string) *Mapping { return s.byName[target] }

// Route returns the targets subscribed to e, sorted by name.
func (s *Set) Route(e profile.Event) []string {
	var out []string
	for _, m := range s.list {
		if m.RulesFor(e).Subscribes(e) {
			out = append(out, m.Name)
		}
	}
	return out
}
