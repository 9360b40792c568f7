package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Rules are a mapping with the overrides for one environment and client
// already applied: what Route, Record and Decide use.
type Rules struct {
	Events  []profile.EventType
	Sources []string // empty: every source
	// Scope is the expression that decides which subjects are in scope;
	// empty: every subject.
	Scope string
	// Consent, when set, names the consent purpose the target requires and
	// what to do when it is revoked.
	Consent *ConsentRule
	// OnDelete is what a deleted subject, or one leaving scope, becomes.
	OnDelete Policy

	scope     *program
	fields    map[string]*valueSpec // target path → how to compute it
	constants map[string]any
	plan      []output // fields and constants in target order, segments split once
	topKeys   int      // distinct first segments: the record's size
}

// output is one target field of the plan: its path split into segments,
// and either how to compute it or its constant value.
type output struct {
	to    string
	segs  []string
	spec  *valueSpec
	value any
}

func (r *Rules) makePlan() {
	r.plan = r.plan[:0]
	for _, to := range sortedKeys(r.fields) {
		r.plan = append(r.plan, output{to: to, segs: strings.Split(to, "."), spec: r.fields[to]})
	}
	for _, to := range sortedKeys(r.constants) {
		r.plan = append(r.plan, output{to: to, segs: strings.Split(to, "."), value: r.constants[to]})
	}
	top := map[string]bool{}
	for _, o := range r.plan {
		top[o.segs[0]] = true
	}
	r.topKeys = len(top)
}

// ConsentRule is a target's required consent.
type ConsentRule struct {
	Purpose string
	// OnRevoke is the opt-out action: what the target does instead of an
	// update when the consent is revoked or not granted.
	OnRevoke Policy
}

// Fields returns the target path → source pairs (a profile path, a list of
// paths, "expr: …" or "default"), sorted by target path.
func (r *Rules) Fields() [][2]string {
	out := make([][2]string, 0, len(r.fields))
	for to, v := range r.fields {
		out = append(out, [2]string{to, v.desc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Subscribes reports whether an event of this type from this source goes to
// the target.
func (r *Rules) Subscribes(e profile.Event) bool {
	if !slices.Contains(r.Events, e.Type) {
		return false
	}
	return len(r.Sources) == 0 || slices.Contains(r.Sources, e.Source)
}

// layer is what one level (the file's top, an environment, a client ID)
// sets. Nil maps and pointers mean "not set here: inherit".
type layer struct {
	events                 []profile.EventType
	sources                []string
	fields                 map[string]*valueSpec // nil value: remove the field
	constants              map[string]any        // removed: remove the constant
	removed                map[string]bool       // constants set to null
	scope                  *program
	scopeSet, consentSet   bool
	consent                *ConsentRule
	onDelete               *Policy
	eventsNode, fieldsNode *yaml.Node
	constantsNode          *yaml.Node
}

// layerKeys are the keys every level may set.
var layerKeys = []string{"events", "sources", "fields", "constants", "scope", "consent", "on_delete"}

// parseLayer reads the layer keys of m (a map already checked for unknown
// keys). prefix names the level in errors ("environments.prod.").
func (d *diags) parseLayer(m map[string]*yaml.Node, prefix string, tables map[string]map[string]any) *layer {
	l := &layer{}
	if n := m["events"]; n != nil {
		l.eventsNode = n
		names, _ := d.strList(n, prefix+"events", "event types")
		l.events = []profile.EventType{}
		for i, s := range names {
			t := profile.EventType(s)
			if !t.Valid() {
				d.at(n.Content[i], prefix+"events", "unknown event type %q; want one of %v", s, profile.EventTypes)
				continue
			}
			l.events = append(l.events, t)
		}
	}
	if n := m["sources"]; n != nil {
		l.sources, _ = d.strList(n, prefix+"sources", "source names")
	}
	if n := m["fields"]; n != nil {
		l.fieldsNode = n
		l.fields = map[string]*valueSpec{}
		kv, keys := d.mapNode(n, prefix+"fields")
		for _, k := range keys {
			field := prefix + "fields." + k.Value
			if err := checkPath(k.Value); err != nil {
				d.at(k, field, "target path: %v", err)
				continue
			}
			if v := kv[k.Value]; isNull(v) {
				l.fields[k.Value] = nil
			} else if spec := d.parseValue(v, field, tables); spec != nil {
				l.fields[k.Value] = spec
			}
		}
	}
	if n := m["constants"]; n != nil {
		l.constantsNode = n
		l.constants, l.removed = map[string]any{}, map[string]bool{}
		kv, keys := d.mapNode(n, prefix+"constants")
		for _, k := range keys {
			field := prefix + "constants." + k.Value
			if err := checkPath(k.Value); err != nil {
				d.at(k, field, "target path: %v", err)
				continue
			}
			if v := kv[k.Value]; isNull(v) {
				l.removed[k.Value] = true
			} else {
				var val any
				if err := v.Decode(&val); err != nil {
					d.at(v, field, "%v", err)
				}
				l.constants[k.Value] = val
			}
		}
	}
	if n := m["scope"]; n != nil {
		l.scopeSet = true
		if !isNull(n) {
			if s, ok := d.str(n, prefix+"scope", `a boolean expression, e.g. email != "" && address.country in ["DE", "AT"]`); ok {
				p, err := compileExpr(s, true, d.phoneFunc)
				if err != nil {
					d.at(n, prefix+"scope", "%v", err)
				} else if p.phone {
					d.phone = true
				}
				l.scope = p
			}
		}
	}
	if n := m["consent"]; n != nil {
		l.consentSet = true
		if !isNull(n) {
			l.consent = d.parseConsent(n, prefix+"consent")
		}
	}
	if n := m["on_delete"]; n != nil {
		p := Policy{Kind: DeletePolicy}
		if !isNull(n) {
			p = d.parsePolicy(n, prefix+"on_delete", false)
		}
		l.onDelete = &p
	}
	return l
}

// with returns r overridden by l: events, sources, scope, consent and
// on_delete are replaced when l sets them; fields and constants are merged
// key by key, a null removing the key.
func (r *Rules) with(l *layer) *Rules {
	out := *r
	out.fields = make(map[string]*valueSpec, len(r.fields)+len(l.fields))
	out.constants = make(map[string]any, len(r.constants)+len(l.constants))
	for k, v := range r.fields {
		out.fields[k] = v
	}
	for k, v := range r.constants {
		out.constants[k] = v
	}
	if l.events != nil {
		out.Events = l.events
	}
	if l.sources != nil {
		out.Sources = l.sources
	}
	for k, v := range l.fields {
		if v == nil {
			delete(out.fields, k)
		} else {
			out.fields[k] = v
		}
	}
	for k := range l.removed {
		delete(out.constants, k)
	}
	for k, v := range l.constants {
		out.constants[k] = v
	}
	if l.scopeSet {
		out.scope, out.Scope = l.scope, ""
		if l.scope != nil {
			out.Scope = l.scope.src
		}
	}
	if l.consentSet {
		out.Consent = l.consent
	}
	if l.onDelete != nil {
		out.OnDelete = *l.onDelete
	}
	out.plan = nil
	out.makePlan()
	return &out
}

// checkTargets reports two outputs of r that collide and that its parent
// (the level below, nil for the file's top) did not already have: the same
// target path as a field and a constant, or a path that is a prefix of
// another (a.b and a).
func (d *diags) checkTargets(r, parent *Rules, l *layer, level string) {
	at := l.fieldsNode
	if at == nil {
		at = l.constantsNode
	}
	had := map[string]bool{}
	if parent != nil {
		for _, c := range collisions(parent) {
			had[c[0]+c[1]] = true
		}
	}
	for _, c := range collisions(r) {
		if !had[c[0]+c[1]] {
			d.at(at, level+c[0], "%s", c[1])
		}
	}
	if parent == nil && len(r.Events) == 0 {
		d.at(l.eventsNode, "events", "is required: list the event types this target receives (%v)", profile.EventTypes)
	}
	d.checkPolicyFields(r, level)
}

// collisions lists (field, message) pairs for colliding target paths.
func collisions(r *Rules) [][2]string {
	var out [][2]string
	all := make([]string, 0, len(r.fields)+len(r.constants))
	for k := range r.fields {
		all = append(all, k)
		if _, ok := r.constants[k]; ok {
			out = append(out, [2]string{"constants." + k, "also mapped under fields"})
		}
	}
	for k := range r.constants {
		if _, ok := r.fields[k]; !ok {
			all = append(all, k)
		}
	}
	sort.Strings(all)
	for i := 1; i < len(all); i++ {
		if strings.HasPrefix(all[i], all[i-1]+".") {
			out = append(out, [2]string{"fields." + all[i], fmt.Sprintf("nested under %q, which is itself mapped to a value", all[i-1])})
		}
	}
	return out
}

func (d *diags) checkPolicyFields(r *Rules, level string) {
	check := func(p Policy, field string) {
		if p.Kind != AnonymisePolicy {
			return
		}
		for _, k := range sortedKeys(p.Fields) {
			if _, ok := r.fields[k]; !ok {
				d.at(p.node, fmt.Sprintf("%s%s.anonymise.%s", level, field, k), "is not a mapped field; anonymise overwrites fields listed under fields")
			}
		}
	}
	check(r.OnDelete, "on_delete")
	if r.Consent != nil {
		check(r.Consent.OnRevoke, "consent.on_revoke")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
