package mapping

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// LogValues is how the per-record sync log shows a mapped field's old and
// new values. The log never holds raw personal data unless a mapping says
// plain for a field.
type LogValues string

const (
	// LogHash shows a keyed hash (HMAC-SHA256 with the deployment's sync-log
	// key, truncated): equal values look equal, and a guess cannot be
	// checked without the key. The default.
	LogHash LogValues = "hash"
	// LogMask keeps the value's shape: j***@e***.com, +49***12, B***.
	LogMask LogValues = "mask"
	// LogOmit names the field as changed and shows no value.
	LogOmit LogValues = "omit"
	// LogPlain shows the value as sent: for fields that hold no personal
	// data (a consent flag, a status).
	LogPlain LogValues = "plain"
)

var logValues = []string{string(LogHash), string(LogMask), string(LogOmit), string(LogPlain)}

// LogSettings is a mapping's top-level log: block.
type LogSettings struct {
	// Values applies to every field the Fields do not name ("" is hash).
	Values LogValues `json:"values,omitempty"`
	// Fields by target path; a path also covers the fields below it
	// (contact: mask covers contact.email).
	Fields map[string]LogValues `json:"fields,omitempty"`
}

// For is how field (a target path) is shown.
func (l LogSettings) For(field string) LogValues {
	for p := field; ; {
		if v, ok := l.Fields[p]; ok {
			return v
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if l.Values == "" {
		return LogHash
	}
	return l.Values
}

// parseLog reads the log: block.
func (d *diags) parseLog(n *yaml.Node) LogSettings {
	var l LogSettings
	kv, _ := d.mapNode(n, "log", "values", "fields")
	if v := kv["values"]; v != nil {
		l.Values = d.logValues(v, "log.values")
	}
	f := kv["fields"]
	if f == nil {
		return l
	}
	fields, keys := d.mapNode(f, "log.fields")
	if len(keys) > 0 {
		l.Fields = map[string]LogValues{}
	}
	for _, k := range keys {
		name := "log.fields." + k.Value
		if err := checkPath(k.Value); err != nil {
			d.at(k, name, "target path: %v", err)
			continue
		}
		if v := d.logValues(fields[k.Value], name); v != "" {
			l.Fields[k.Value] = v
		}
	}
	return l
}

func (d *diags) logValues(n *yaml.Node, field string) LogValues {
	if n.Kind != yaml.ScalarNode || !contains(logValues, n.Value) {
		d.at(n, field, "want one of %s, got %q", strings.Join(logValues, ", "), n.Value)
		return ""
	}
	return LogValues(n.Value)
}

// checkLogFields warns about log.fields paths no level of the mapping
// sends: a typo would leave the field at the default.
func (d *diags) checkLogFields(n *yaml.Node, m *Mapping) {
	if n == nil || len(m.Log.Fields) == 0 {
		return
	}
	sent := map[string]bool{}
	for _, r := range m.allRules() {
		for _, o := range r.plan {
			for p := o.to; p != ""; {
				sent[p] = true
				i := strings.LastIndexByte(p, '.')
				if i < 0 {
					break
				}
				p = p[:i]
			}
		}
		pols := []Policy{r.OnDelete}
		if r.Consent != nil {
			pols = append(pols, r.Consent.OnRevoke)
		}
		for _, pol := range pols {
			for k := range pol.Fields {
				sent[k] = true
			}
		}
	}
	f := mapValue(n, "fields")
	if f == nil {
		return
	}
	names := make([]string, 0, len(m.Log.Fields))
	for k := range m.Log.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !sent[k] {
			key, _ := child(f, k)
			d.warn(key, "log.fields."+k, "no field of this mapping has this target path")
		}
	}
}

// allRules is every resolved rule set of the mapping.
func (m *Mapping) allRules() []*Rules {
	out := []*Rules{m.base}
	for _, r := range m.envs {
		out = append(out, r)
	}
	for _, r := range m.clients {
		out = append(out, r)
	}
	for _, r := range m.both {
		out = append(out, r)
	}
	return out
}
