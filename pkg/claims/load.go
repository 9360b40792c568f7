package claims

// The claim rule files' loader: YAML with every problem at file:line:col,
// overrides merged per environment and client, each combination built
// and checked when the file loads.

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/spec"
)

// SettingsChecker validates an authority kind's settings (the authority
// registry's CheckSettings). ManualKind is checked here.
type SettingsChecker func(kind string, settings map[string]any) error

// Loader loads claim rules.
type Loader struct {
	// CheckSettings validates each authority's settings (nil: not checked,
	// as in the ingress, which only routes).
	CheckSettings SettingsChecker
}

// LoadFS loads every *.yaml rule in dir of fsys. A missing or empty
// directory is an empty set: claim verification is optional.
func (l Loader) LoadFS(fsys fs.FS, dir string) (*RuleSet, error) {
	set, problems, err := l.CheckFS(fsys, dir)
	if err != nil {
		return nil, err
	}
	if err := mapping.Errs(problems); err != nil {
		return nil, err
	}
	return set, nil
}

// CheckFS loads every rule in dir and returns every problem in file and
// line order; the set is nil when any is an error.
func (l Loader) CheckFS(fsys fs.FS, dir string) (*RuleSet, []*mapping.Error, error) {
	rules, problems, err := mapping.CheckDir(fsys, dir, l.Diagnose)
	if err != nil || rules == nil && len(problems) > 0 {
		return nil, problems, err
	}
	return NewRuleSet(rules...), problems, nil
}

// Parse decodes one rule file; the error joins every problem.
func (l Loader) Parse(filename string, data []byte) (*Rule, error) {
	r, problems := l.Diagnose(filename, data)
	if r == nil {
		return nil, mapping.Errs(problems)
	}
	return r, nil
}

var (
	ruleNameRE = lazyregexp.New(`^[a-z][a-z0-9-]{0,39}$`)
	identRE    = lazyregexp.New(`^[a-z][a-z0-9_]{0,39}$`)
	attrRE     = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_.-]{0,99}$`)
	overrideRE = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)
)

var (
	layerKeys = []string{"declared", "when", "events", "evidence", "authorities", "combine", "valid_for", "retry_for", "write_back"}
	topKeys   = append([]string{"version", "claim", "environments", "clients"}, layerKeys...)
)

// Diagnose parses one rule file and returns it (nil when it has errors)
// with every problem, in line order.
func (l Loader) Diagnose(filename string, data []byte) (*Rule, []*mapping.Error) {
	d := &diag{file: filename, check: l.CheckSettings}
	r := d.parse(filename, data)
	sort.SliceStable(d.list, func(i, j int) bool {
		if d.list[i].Line != d.list[j].Line {
			return d.list[i].Line < d.list[j].Line
		}
		return d.list[i].Column < d.list[j].Column
	})
	for _, p := range d.list {
		if !p.Warning {
			return nil, d.list
		}
	}
	return r, d.list
}

type diag struct {
	file  string
	list  []*mapping.Error
	check SettingsChecker
}

func (d *diag) at(n *yaml.Node, field, format string, a ...any) {
	e := &mapping.Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.list = append(d.list, e)
}

func (d *diag) warn(n *yaml.Node, field, format string, a ...any) {
	d.at(n, field, format, a...)
	d.list[len(d.list)-1].Warning = true
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// pairs checks that n is a map with keys from allowed (nil: any) and
// returns them in order.
func (d *diag) pairs(n *yaml.Node, field string, allowed []string) (keys []*yaml.Node, vals map[string]*yaml.Node) {
	vals = map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		if allowed != nil {
			d.at(n, field, "must be a map (with keys %s)", strings.Join(allowed, ", "))
		} else {
			d.at(n, field, "must be a map")
		}
		return nil, vals
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := join(field, k.Value)
		if allowed != nil && !contains(allowed, k.Value) {
			d.at(k, name, "unknown key; want one of %s", strings.Join(allowed, ", "))
			continue
		}
		if _, dup := vals[k.Value]; dup {
			d.at(k, name, "set twice")
			continue
		}
		vals[k.Value] = v
		keys = append(keys, k)
	}
	return keys, vals
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *diag) parse(filename string, data []byte) *Rule {
	name := strings.TrimSuffix(path.Base(filename), path.Ext(filename))
	if !ruleNameRE.MatchString(name) {
		d.at(nil, "", "file name %q must be a rule name: lower-case letters, digits and '-', starting with a letter, at most 40", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		d.list = append(d.list, mapping.YAMLError(filename, data, err))
		return nil
	}
	if len(root.Content) == 0 {
		d.at(nil, "", "empty file")
		return nil
	}
	doc := root.Content[0]
	_, top := d.pairs(doc, "", topKeys)
	r := &Rule{Name: name, File: filename}
	if v, ok := top["version"]; !ok {
		d.at(doc, "version", "required: 1")
	} else if v.Value != "1" {
		d.at(v, "version", "unsupported version %q; want 1", v.Value)
	}
	if v, ok := top["claim"]; !ok {
		d.at(doc, "claim", "required: the claim's name, e.g. hcp")
	} else if !identRE.MatchString(v.Value) || v.Kind != yaml.ScalarNode {
		d.at(v, "claim", "must be a name of lower-case letters, digits and '_', starting with a letter")
	} else {
		r.Claim = v.Value
	}
	base := layerOf(doc, nil)
	r.base = d.policy(base, "")
	r.envs, r.clients, r.both = map[string]*Policy{}, map[string]*Policy{}, map[[2]string]*Policy{}
	envNodes := d.overrides(top["environments"], "environments")
	clientNodes := d.overrides(top["clients"], "clients")
	for env, en := range envNodes {
		r.envs[env] = d.policy(layerOf(doc, en), "environments."+env)
	}
	for client, cn := range clientNodes {
		r.clients[client] = d.policy(layerOf(doc, cn), "clients."+client)
		for env, en := range envNodes {
			// A client's entry applies on top of an environment's.
			merged := layerOf(doc, en)
			r.both[[2]string{env, client}] = d.policyQuiet(layerOf2(merged, cn))
		}
	}
	return r
}

// overrides returns an environments: or clients: block's entries.
func (d *diag) overrides(n *yaml.Node, field string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil {
		return out
	}
	keys, vals := d.pairs(n, field, nil)
	for _, k := range keys {
		if !overrideRE.MatchString(k.Value) {
			d.at(k, join(field, k.Value), "bad name")
			continue
		}
		v := vals[k.Value]
		if v.Kind != yaml.MappingNode {
			d.at(v, join(field, k.Value), "must be a map of rule keys (%s)", strings.Join(layerKeys, ", "))
			continue
		}
		_, _ = d.pairs(v, join(field, k.Value), layerKeys)
		out[k.Value] = v
	}
	return out
}

// layer is a rule's keys after overrides: key → node.
type layer map[string]*yaml.Node

func layerOf(doc, over *yaml.Node) layer {
	l := layer{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if contains(layerKeys, doc.Content[i].Value) {
			l[doc.Content[i].Value] = doc.Content[i+1]
		}
	}
	return layerOf2(l, over)
}

func layerOf2(l layer, over *yaml.Node) layer {
	if over == nil {
		return l
	}
	out := layer{}
	for k, v := range l {
		out[k] = v
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		if contains(layerKeys, over.Content[i].Value) {
			out[over.Content[i].Value] = over.Content[i+1]
		}
	}
	return out
}

// policyQuiet builds a policy whose nodes were all checked already (an
// environment's keys under a client's): its problems were reported once.
func (d *diag) policyQuiet(l layer) *Policy {
	quiet := &diag{file: d.file, check: d.check}
	return quiet.policy(l, "")
}

func (d *diag) policy(l layer, prefix string) *Policy {
	p := &Policy{Combine: All, ValidFor: DefaultValidFor, RetryFor: DefaultRetryFor,
		Events: []profile.EventType{profile.Created, profile.Updated}}
	field := func(k string) string { return join(prefix, k) }
	if n, ok := l["declared"]; !ok {
		d.at(nil, field("declared"), "required: where the profile declares the claim, e.g. {from: custom.role, equals: health_care_professional}")
	} else {
		d.declared(n, field("declared"), p)
	}
	if n, ok := l["when"]; ok {
		c, err := mapping.CompileCondition(n.Value)
		if err != nil || n.Kind != yaml.ScalarNode {
			d.at(n, field("when"), "%v", errOr(err, "must be an expression"))
		} else {
			p.When = c
		}
	}
	if n, ok := l["events"]; ok {
		p.Events = nil
		if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
			d.at(n, field("events"), "must be a non-empty list of created, updated")
		} else {
			for _, e := range n.Content {
				t := profile.EventType(e.Value)
				if t != profile.Created && t != profile.Updated {
					d.at(e, field("events"), "unknown event %q; want created or updated", e.Value)
					continue
				}
				p.Events = append(p.Events, t)
			}
		}
	}
	if n, ok := l["evidence"]; ok {
		keys, vals := d.pairs(n, field("evidence"), nil)
		for _, k := range keys {
			if !identRE.MatchString(k.Value) {
				d.at(k, field("evidence."+k.Value), "must be a name of lower-case letters, digits and '_'")
				continue
			}
			v := vals[k.Value]
			if v.Kind == yaml.MappingNode {
				_, ev := d.pairs(v, field("evidence."+k.Value), []string{"expr"})
				src, ok := ev["expr"]
				if !ok {
					d.at(v, field("evidence."+k.Value), "want a profile path or {expr: EXPRESSION}")
					continue
				}
				x, err := mapping.CompileExpr(src.Value)
				if err != nil {
					d.at(src, field("evidence."+k.Value+".expr"), "%v", err)
					continue
				}
				p.Evidence = append(p.Evidence, Evidence{Name: k.Value, Expr: x})
				continue
			}
			pt, warn, err := mapping.CompilePath(v.Value)
			if err != nil || v.Kind != yaml.ScalarNode {
				d.at(v, field("evidence."+k.Value), "%v", errOr(err, "must be a profile path"))
				continue
			}
			if warn != "" {
				d.warn(v, field("evidence."+k.Value), "%s", warn)
			}
			p.Evidence = append(p.Evidence, Evidence{Name: k.Value, Path: pt})
		}
	}
	if n, ok := l["authorities"]; !ok {
		d.at(nil, field("authorities"), "required: at least one authority")
	} else {
		d.authorities(n, field("authorities"), p)
	}
	if n, ok := l["combine"]; ok {
		switch c := Combine(n.Value); c {
		case All, Any, First:
			p.Combine = c
		default:
			d.at(n, field("combine"), "unknown %q; want all, any or first", n.Value)
		}
	}
	if n, ok := l["valid_for"]; ok {
		p.ValidFor = d.duration(n, field("valid_for"), time.Hour, 10*365*24*time.Hour)
	}
	if n, ok := l["retry_for"]; ok {
		p.RetryFor = d.duration(n, field("retry_for"), time.Minute, 13*24*time.Hour)
	}
	if n, ok := l["write_back"]; !ok {
		d.at(nil, field("write_back"), "required: at least status, the attribute the verdict is written to")
	} else {
		d.writeBack(n, field("write_back"), p)
	}
	return p
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

func (d *diag) declared(n *yaml.Node, field string, p *Policy) {
	from := n
	if n.Kind == yaml.MappingNode {
		_, vals := d.pairs(n, field, []string{"from", "equals"})
		var ok bool
		if from, ok = vals["from"]; !ok {
			d.at(n, field+".from", "required: a profile path")
			return
		}
		if eq, ok := vals["equals"]; ok {
			if eq.Kind != yaml.ScalarNode || eq.Value == "" {
				d.at(eq, field+".equals", "must be the declared value")
			}
			p.Value = eq.Value
		}
	}
	pt, warn, err := mapping.CompilePath(from.Value)
	if err != nil || from.Kind != yaml.ScalarNode {
		d.at(from, field, "%v", errOr(err, "must be a profile path or {from, equals}"))
		return
	}
	if warn != "" {
		d.warn(from, field, "%s", warn)
	}
	p.Declared = pt
}

func (d *diag) duration(n *yaml.Node, field string, min, max time.Duration) time.Duration {
	v, err := parseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		d.at(n, field, "must be a duration like 72h or 365d")
		return 0
	}
	if v < min || v > max {
		d.at(n, field, "must be between %s and %s", min, max)
	}
	return v
}

// parseDuration is time.ParseDuration plus a day unit ("365d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

var authorityKeys = []string{"name", "kind", "settings", "secret", "timeout"}

func (d *diag) authorities(n *yaml.Node, field string, p *Policy) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.at(n, field, "must be a non-empty list of authorities ({kind, settings, secret})")
		return
	}
	seen := map[string]bool{}
	for i, an := range n.Content {
		af := fmt.Sprintf("%s[%d]", field, i)
		_, vals := d.pairs(an, af, authorityKeys)
		var a AuthoritySpec
		k, ok := vals["kind"]
		if !ok {
			d.at(an, af+".kind", "required")
			continue
		}
		a.Kind = k.Value
		a.Name = a.Kind
		if nn, ok := vals["name"]; ok {
			if !identRE.MatchString(nn.Value) {
				d.at(nn, af+".name", "must be a name of lower-case letters, digits and '_'")
			}
			a.Name = nn.Value
		}
		if seen[a.Name] {
			d.at(an, af+".name", "authority %q named twice in this rule; give one a name:", a.Name)
		}
		seen[a.Name] = true
		if s, ok := vals["secret"]; ok {
			a.Secret = s.Value
		}
		a.Timeout = DefaultTimeout
		if t, ok := vals["timeout"]; ok {
			a.Timeout = d.duration(t, af+".timeout", 100*time.Millisecond, 30*time.Second)
		}
		a.Settings = map[string]any{}
		sn := vals["settings"]
		if sn != nil {
			if err := sn.Decode(&a.Settings); err != nil || sn.Kind != yaml.MappingNode {
				d.at(sn, af+".settings", "must be a map")
				continue
			}
			if a.Settings == nil {
				a.Settings = map[string]any{}
			}
		}
		if err := d.checkSettings(a); err != nil {
			for _, leaf := range spec.Leaves(err) {
				d.settingsError(leaf, an, sn, af)
			}
		}
		p.Authorities = append(p.Authorities, a)
	}
}

func (d *diag) checkSettings(a AuthoritySpec) error {
	if a.Kind == ManualKind {
		return CheckManualSettings(a.Settings)
	}
	if d.check == nil {
		return nil
	}
	return d.check(a.Kind, a.Settings)
}

// settingsError reports a settings problem at the node it names.
func (d *diag) settingsError(err error, an, sn *yaml.Node, field string) {
	var se *spec.Error
	if !errors.As(err, &se) {
		d.at(an, field+".kind", "%v", err)
		return
	}
	at, key := sn, sn
	for _, elem := range se.Path {
		if at == nil {
			break
		}
		key, at = child(at, elem)
	}
	node := key
	if se.Value && at != nil {
		node = at
	}
	if node == nil {
		node = an
	}
	d.at(node, field+".settings."+se.Path.String(), "%s", se.Msg)
}

// child returns the key and value nodes of elem in n.
func child(n *yaml.Node, elem string) (key, val *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == elem {
				return n.Content[i], n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(strings.Trim(elem, "[]")); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], n.Content[i]
		}
	}
	return n, nil
}

var writeBackKeys = []string{"status", "verified_at", "expires_at", "authority", "reference", "attributes", "on_verified", "on_rejected"}

func (d *diag) writeBack(n *yaml.Node, field string, p *Policy) {
	_, vals := d.pairs(n, field, writeBackKeys)
	w := &p.WriteBack
	for key, dst := range map[string]*string{"status": &w.Status, "verified_at": &w.VerifiedAt, "expires_at": &w.ExpiresAt, "authority": &w.Authority, "reference": &w.Reference} {
		if v, ok := vals[key]; ok {
			if !attrRE.MatchString(v.Value) || v.Kind != yaml.ScalarNode {
				d.at(v, field+"."+key, "must be a custom attribute name")
				continue
			}
			*dst = v.Value
		}
	}
	if attrs := vals["attributes"]; w.Status == "" && (attrs == nil || len(attrs.Content) == 0) && vals["on_verified"] == nil {
		d.at(n, field+".status", "required (unless the rule only enriches: attributes or on_verified): the custom attribute the verdict is written to")
	}
	if v, ok := vals["attributes"]; ok {
		w.Attributes = map[string]string{}
		keys, avs := d.pairs(v, field+".attributes", nil)
		for _, k := range keys {
			if !attrRE.MatchString(k.Value) {
				d.at(k, field+".attributes."+k.Value, "must be a custom attribute name")
			}
			w.Attributes[k.Value] = avs[k.Value].Value
		}
	}
	for key, dst := range map[string]*map[string]any{"on_verified": &w.OnVerified, "on_rejected": &w.OnRejected} {
		if v, ok := vals[key]; ok {
			if err := v.Decode(dst); err != nil || v.Kind != yaml.MappingNode {
				d.at(v, field+"."+key, "must be a map of custom attribute to value")
				continue
			}
			for k := range *dst {
				if !attrRE.MatchString(k) {
					d.at(v, field+"."+key+"."+k, "must be a custom attribute name")
				}
			}
		}
	}
	seen := map[string]string{}
	for _, kv := range [][2]string{{"status", w.Status}, {"verified_at", w.VerifiedAt}, {"expires_at", w.ExpiresAt}, {"authority", w.Authority}, {"reference", w.Reference}} {
		key, name := kv[0], kv[1]
		if name == "" {
			continue
		}
		if other, dup := seen[name]; dup {
			d.at(n, field, "%s and %s write the same attribute %q", other, key, name)
		}
		seen[name] = key
	}
}
