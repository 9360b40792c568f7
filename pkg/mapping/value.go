package mapping

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// valueSpec is how one target field gets its value: from one profile path,
// from several (a list, for join and first), or from an expression; then
// through its transforms; then its default when nothing is left.
type valueSpec struct {
	desc       string // what the field reads, for Rules.Fields
	paths      []attrPath
	list       bool // from: [a, b]: the value is the list of their values
	expr       *program
	transforms []transform
	def        any
	hasDef     bool
}

var valueKeys = []string{"from", "expr", "transform", "default"}

// parseValue reads a field's value: a profile path string (version 1), or
// {from|expr, transform, default}.
func (d *diags) parseValue(n *yaml.Node, field string, tables map[string]map[string]any) *valueSpec {
	if n.Kind == yaml.ScalarNode {
		if n.Tag != "!!str" {
			d.at(n, field, "must be a profile path such as given_name or address.locality, or {from|expr, transform, default}")
			return nil
		}
		p := d.path(n, field)
		if p == nil {
			return nil
		}
		return &valueSpec{desc: n.Value, paths: []attrPath{*p}}
	}
	m, _ := d.mapNode(n, field, valueKeys...)
	if m == nil {
		return nil
	}
	v := &valueSpec{}
	from, src := m["from"], m["expr"]
	switch {
	case from != nil && src != nil:
		d.at(src, field, "set from or expr, not both")
	case from != nil && from.Kind == yaml.SequenceNode:
		v.list = true
		var descs []string
		for _, c := range from.Content {
			if p := d.path(c, field+".from"); p != nil {
				v.paths = append(v.paths, *p)
				descs = append(descs, c.Value)
			}
		}
		if len(from.Content) == 0 {
			d.at(from, field+".from", "must list at least one profile path")
		}
		v.desc = "[" + strings.Join(descs, ", ") + "]"
	case from != nil:
		if p := d.path(from, field+".from"); p != nil {
			v.paths, v.desc = []attrPath{*p}, from.Value
		}
	case src != nil:
		if s, ok := d.str(src, field+".expr", "an expression such as given_name + \" \" + family_name"); ok {
			prog, err := compileExpr(s, false, d.phoneFunc)
			if err != nil {
				d.at(src, field+".expr", "%v", err)
			} else if prog.phone {
				d.phone = true
			}
			v.expr, v.desc = prog, "expr: "+s
		}
	case m["default"] == nil:
		d.at(n, field, "needs from (a profile path), expr (an expression) or default")
	}
	if t := m["transform"]; t != nil {
		if t.Kind != yaml.SequenceNode {
			d.at(t, field+".transform", "must be a list of transforms, e.g. [trim, lower]")
		} else {
			for _, c := range t.Content {
				if f := d.parseTransform(c, field+".transform", tables); f != nil {
					v.transforms = append(v.transforms, f)
				}
			}
		}
	}
	if dn := m["default"]; dn != nil {
		if err := dn.Decode(&v.def); err != nil {
			d.at(dn, field+".default", "%v", err)
		}
		v.hasDef = v.def != nil
		if v.desc == "" {
			v.desc = "default"
		}
	}
	return v
}

// path compiles a profile path; a malformed one is an error, one the
// canonical profile does not have a warning.
func (d *diags) path(n *yaml.Node, field string) *attrPath {
	s, ok := d.str(n, field, "a profile path such as given_name or address.locality")
	if !ok {
		return nil
	}
	p, err, warning := compilePath(s)
	if err != nil {
		d.at(n, field, "%v", err)
		return nil
	}
	if warning != "" {
		d.warn(n, field, "%s; the field will never have a value", warning)
	}
	return &p
}

// eval computes the field's value for one profile; ok false leaves the
// field out.
func (v *valueSpec) eval(e *env) (any, bool, error) {
	var out any
	ok := false
	switch {
	case v.expr != nil:
		r, err := v.expr.run(e)
		if err != nil {
			return nil, false, err
		}
		out, ok = r, !empty(r)
	case v.list:
		list := make([]any, 0, len(v.paths))
		for i := range v.paths {
			if x, has := v.paths[i].get(e); has {
				list = append(list, x)
			}
		}
		out, ok = list, len(list) > 0
	case len(v.paths) == 1:
		out, ok = v.paths[0].get(e)
	}
	for _, t := range v.transforms {
		if !ok {
			break
		}
		out, ok = t(out)
		ok = ok && !empty(out)
	}
	if !ok && v.hasDef {
		return v.def, true, nil
	}
	if t, isTime := out.(time.Time); ok && isTime {
		out = t.Format(time.RFC3339Nano) // as the profile's JSON writes it
	}
	return out, ok, nil
}
