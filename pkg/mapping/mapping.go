package mapping

import (
	"sort"

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

	base    *Rules
	envs    map[string]*Rules
	clients map[string]layer
}

// Resolve returns the rules for an event's environment and client ID.
func (m *Mapping) Resolve(env, clientID string) *Rules {
	r := m.base
	if e, ok := m.envs[env]; ok && env != "" {
		r = e
	}
	if l, ok := m.clients[clientID]; ok && clientID != "" {
		// Validated against the base at load; the environment's rules only
		// add keys, so the merge cannot fail here.
		if cr, err := r.with(l, ""); err == nil {
			r = cr
		}
	}
	return r
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
