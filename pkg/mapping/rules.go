package mapping

import (
	"fmt"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Rules are a mapping with the overrides for one environment and client
// already applied: what Route and Record use.
type Rules struct {
	Events  []profile.EventType
	Sources []string // empty: every source
	// fields maps a target path to a profile path; constants a target path
	// to a literal value.
	fields    map[string]string
	constants map[string]any
}

// Fields returns the target path → profile path pairs, sorted by target path.
func (r *Rules) Fields() [][2]string {
	out := make([][2]string, 0, len(r.fields))
	for to, from := range r.fields {
		out = append(out, [2]string{to, from})
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

// with returns r overridden by l. prefix names the level in errors.
func (r *Rules) with(l layer, prefix string) (*Rules, error) {
	out := &Rules{
		Events:    r.Events,
		Sources:   r.Sources,
		fields:    make(map[string]string, len(r.fields)),
		constants: make(map[string]any, len(r.constants)),
	}
	for k, v := range r.fields {
		out.fields[k] = v
	}
	for k, v := range r.constants {
		out.constants[k] = v
	}
	if l.Events != nil {
		out.Events = nil
		for _, s := range l.Events {
			t := profile.EventType(s)
			if !t.Valid() {
				return nil, &Error{Line: l.Fields.Line, Field: prefix + "events", Msg: fmt.Sprintf("unknown event type %q; want one of %v", s, profile.EventTypes)}
			}
			out.Events = append(out.Events, t)
		}
	}
	if l.Sources != nil {
		out.Sources = l.Sources
	}
	if err := mergeFields(out.fields, &l.Fields, prefix); err != nil {
		return nil, err
	}
	if err := mergeConstants(out.constants, &l.Constants, prefix); err != nil {
		return nil, err
	}
	if err := checkTargets(out, prefix); err != nil {
		return nil, err
	}
	return out, nil
}

func mergeFields(dst map[string]string, n *yaml.Node, prefix string) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &Error{Line: n.Line, Field: prefix + "fields", Msg: "must be a map of target field: profile path"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := prefix + "fields." + k.Value
		if err := checkPath(k.Value); err != nil {
			return &Error{Line: k.Line, Field: field, Msg: "target path: " + err.Error()}
		}
		if v.Tag == "!!null" {
			delete(dst, k.Value)
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return &Error{Line: v.Line, Field: field, Msg: "must be a profile path such as given_name or address.locality"}
		}
		if err := checkProfilePath(v.Value); err != nil {
			return &Error{Line: v.Line, Field: field, Msg: err.Error()}
		}
		dst[k.Value] = v.Value
	}
	return nil
}

func mergeConstants(dst map[string]any, n *yaml.Node, prefix string) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &Error{Line: n.Line, Field: prefix + "constants", Msg: "must be a map of target field: value"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := prefix + "constants." + k.Value
		if err := checkPath(k.Value); err != nil {
			return &Error{Line: k.Line, Field: field, Msg: "target path: " + err.Error()}
		}
		if v.Tag == "!!null" {
			delete(dst, k.Value)
			continue
		}
		var val any
		if err := v.Decode(&val); err != nil {
			return &Error{Line: v.Line, Field: field, Msg: err.Error()}
		}
		dst[k.Value] = val
	}
	return nil
}

// checkTargets rejects two outputs that collide: the same target path as a
// field and a constant, or a path that is a prefix of another (a.b and a).
func checkTargets(r *Rules, prefix string) error {
	all := make([]string, 0, len(r.fields)+len(r.constants))
	for k := range r.fields {
		all = append(all, k)
		if _, ok := r.constants[k]; ok {
			return &Error{Field: prefix + "constants." + k, Msg: "also mapped under fields"}
		}
	}
	for k := range r.constants {
		all = append(all, k)
	}
	sort.Strings(all)
	for i := 1; i < len(all); i++ {
		if len(all[i]) > len(all[i-1]) && all[i][:len(all[i-1])+1] == all[i-1]+"." {
			return &Error{Field: prefix + "fields." + all[i], Msg: fmt.Sprintf("nested under %q, which is itself mapped to a value", all[i-1])}
		}
	}
	return nil
}
