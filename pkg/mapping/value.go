package mapping

import (
	"fmt"
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
	tnames     []string // the transforms' names, for drop reports and errors
	onInvalid  InvalidMode
	def        any
	hasDef     bool
}

// InvalidMode is what a field does when one of its transforms cannot
// convert the value (a phone number that is not one, a date that does not
// parse, a lookup miss).
type InvalidMode string

const (
	// InvalidDrop leaves the field out (or takes its default) and reports
	// the drop in Decision.Dropped. The default.
	InvalidDrop InvalidMode = "drop"
	// InvalidKeep sends the value as it was before the failing transform.
	InvalidKeep InvalidMode = "keep"
	// InvalidFail fails the record permanently, naming field and transform.
	InvalidFail InvalidMode = "fail"
)

// Dropped is a field whose value a transform could not convert, under
// on_invalid: drop. It names the field and the transform, never the value.
type Dropped struct {
	Field     string `json:"field"`
	Transform string `json:"transform"`
	// Default: the field took its default instead of being left out.
	Default bool `json:"default,omitempty"`
}

// ErrInvalidValue is wrapped by the error of a field with on_invalid: fail
// whose transform could not convert its value.
var ErrInvalidValue = fmt.Errorf("transform could not convert the value")

var valueKeys = []string{"from", "expr", "transform", "default", "on_invalid"}

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
		return &valueSpec{desc: n.Value, paths: []attrPath{*p}, onInvalid: InvalidDrop}
	}
	m, _ := d.mapNode(n, field, valueKeys...)
	if m == nil {
		return nil
	}
	v := &valueSpec{onInvalid: InvalidDrop}
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
					v.tnames = append(v.tnames, transformName(c))
				}
			}
		}
	}
	if o := m["on_invalid"]; o != nil {
		switch mode := InvalidMode(o.Value); {
		case o.Kind == yaml.ScalarNode && (mode == InvalidDrop || mode == InvalidKeep || mode == InvalidFail):
			v.onInvalid = mode
		default:
			d.at(o, field+".on_invalid", "want drop, keep or fail, got %q", o.Value)
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

// transformName is the name of a transform list entry: trim, or e164 for
// {e164: DE}.
func transformName(n *yaml.Node) string {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		return n.Content[0].Value
	}
	return n.Value
}

// eval computes the field's value for one profile; ok false leaves the
// field out. dropped names the transform that could not convert the value
// when on_invalid is drop; with on_invalid: fail that is an error
// (ErrInvalidValue) naming the transform, never the value.
func (v *valueSpec) eval(e *env) (out any, ok bool, dropped string, err error) {
	switch {
	case v.expr != nil:
		r, err := v.expr.run(e)
		if err != nil {
			return nil, false, "", err
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
	for i, t := range v.transforms {
		if !ok {
			break
		}
		next, converted := t(out)
		if !converted {
			switch v.onInvalid {
			case InvalidKeep:
				return finish(out), true, "", nil
			case InvalidFail:
				return nil, false, "", fmt.Errorf("%s: %w (on_invalid: fail)", v.tnames[i], ErrInvalidValue)
			}
			dropped = v.tnames[i]
		}
		out, ok = next, converted && !empty(next)
	}
	if !ok && v.hasDef {
		return v.def, true, dropped, nil
	}
	if ok {
		out = finish(out)
	}
	return out, ok, dropped, nil
}

// finish writes a time as the profile's JSON writes it.
func finish(out any) any {
	if t, isTime := out.(time.Time); isTime {
		return t.Format(time.RFC3339Nano)
	}
	return out
}
