package mapping

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A transform turns a value into another; ok false means it could not
// convert the value (a phone number that is not one, a date that does not
// parse, a lookup miss), and the field's on_invalid decides: drop (the
// field is left out or takes its default, and the drop is reported), keep
// or fail. ok true with an empty result is "nothing left", not invalid.
type transform func(v any) (out any, ok bool)

// transformNames lists the transforms for error messages and docs.
var transformNames = []string{
	"trim", "lower", "upper", "sha256", "md5", "bool", "first",
	"e164: REGION", "date: LAYOUT | {from: LAYOUT, to: LAYOUT}",
	"join: SEP", "split: SEP", "index: N", "lookup: TABLE | {KEY: VALUE}",
}

// parseTransform reads one entry of a transform list: a name, or a map of
// one name to its argument.
func (d *diags) parseTransform(n *yaml.Node, field string, tables map[string]map[string]any) transform {
	name, arg := n.Value, (*yaml.Node)(nil)
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		name, arg = n.Content[0].Value, n.Content[1]
	} else if n.Kind != yaml.ScalarNode {
		d.at(n, field, "a transform is a name or {name: argument}; want one of: %s", strings.Join(transformNames, "; "))
		return nil
	}
	field = joinField(field, name)
	if simple, ok := simpleTransforms[name]; ok {
		if arg != nil {
			d.at(arg, field, "takes no argument")
		}
		return simple
	}
	if arg == nil {
		if name == "e164" { // no default region: numbers must carry a country code
			d.phone = true
			return phoneTransform("", d.phoneFunc)
		}
		d.at(n, field, "unknown transform, or one that needs an argument; want one of: %s", strings.Join(transformNames, "; "))
		return nil
	}
	switch name {
	case "e164":
		region, ok := d.str(arg, field, "a default region such as DE (ISO 3166 alpha-2)")
		if ok && len(region) != 2 {
			d.at(arg, field, "must be a two-letter region such as DE, got %q", region)
		}
		d.phone = true
		return phoneTransform(region, d.phoneFunc)
	case "join", "split":
		if arg.Kind != yaml.ScalarNode {
			d.at(arg, field, "must be a separator string")
			return nil
		}
		if name == "join" {
			return joinTransform(arg.Value)
		}
		if arg.Value == "" {
			d.at(arg, field, "must be a non-empty separator")
		}
		return splitTransform(arg.Value)
	case "index":
		i, err := strconv.Atoi(arg.Value)
		if arg.Kind != yaml.ScalarNode || err != nil {
			d.at(arg, field, "must be an integer (negative counts from the end)")
			return nil
		}
		return indexTransform(i)
	case "date":
		return d.dateTransform(arg, field)
	case "lookup":
		return d.lookupTransform(arg, field, tables)
	}
	d.at(n, field, "unknown transform; want one of: %s", strings.Join(transformNames, "; "))
	return nil
}

var simpleTransforms = map[string]transform{
	"trim":   mapString(strings.TrimSpace),
	"lower":  mapString(strings.ToLower),
	"upper":  mapString(strings.ToUpper),
	"sha256": mapString(func(s string) string { return hashHex(sha256.New(), s) }),
	"md5":    mapString(func(s string) string { return hashHex(md5.New(), s) }),
	"bool":   toBool,
	"first":  firstNonEmpty,
}

// mapString applies f to a string, or to each string of a list; other
// values pass unchanged.
func mapString(f func(string) string) transform {
	return func(v any) (any, bool) {
		switch x := v.(type) {
		case string:
			return f(x), true
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i], _ = mapString(f)(e)
			}
			return out, true
		}
		return v, true
	}
}

func phoneTransform(region string, phone PhoneFunc) transform {
	return func(v any) (any, bool) {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		return phone.call(s, region)
	}
}

// toBool reads consent-like states: true, "true", "yes", "y", "on", "1",
// "granted", "opt-in", a non-zero number. Everything else is false.
func toBool(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "y", "on", "1", "granted", "opt-in", "opted_in", "subscribed":
			return true, true
		}
		return false, true
	case int:
		return x != 0, true
	case float64:
		return x != 0, true
	}
	return false, true
}

// firstNonEmpty picks the first element of a list that has a value.
func firstNonEmpty(v any) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		return v, !empty(v)
	}
	for _, e := range list {
		if !empty(e) {
			return e, true
		}
	}
	return nil, true // nothing left, not an invalid value
}

func joinTransform(sep string) transform {
	return func(v any) (any, bool) {
		list, ok := v.([]any)
		if !ok {
			return v, true
		}
		parts := make([]string, 0, len(list))
		for _, e := range list {
			if !empty(e) {
				parts = append(parts, stringOf(e))
			}
		}
		return strings.Join(parts, sep), true
	}
}

func splitTransform(sep string) transform {
	return func(v any) (any, bool) {
		s, ok := v.(string)
		if !ok {
			return v, true
		}
		parts := strings.Split(s, sep)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = strings.TrimSpace(p)
		}
		return out, true
	}
}

func indexTransform(i int) transform {
	return func(v any) (any, bool) {
		list, ok := v.([]any)
		if !ok {
			return nil, false
		}
		if i < 0 {
			i += len(list)
		}
		if i < 0 || i >= len(list) {
			return nil, true // nothing there, not an invalid value
		}
		return list[i], true
	}
}

func (d *diags) lookupTransform(arg *yaml.Node, field string, tables map[string]map[string]any) transform {
	var table map[string]any
	switch arg.Kind {
	case yaml.ScalarNode:
		t, ok := tables[arg.Value]
		if !ok {
			d.at(arg, field, "no table %q under lookups", arg.Value)
			return nil
		}
		table = t
	case yaml.MappingNode:
		table = d.table(arg, field)
	default:
		d.at(arg, field, "must name a table under lookups or be a map of value: replacement")
		return nil
	}
	return func(v any) (any, bool) {
		out, ok := table[stringOf(v)]
		return out, ok && out != nil
	}
}

// table reads a lookup table. Keys are compared as strings, so true, 1 and
// de-DE all work as keys.
func (d *diags) table(n *yaml.Node, field string) map[string]any {
	out := map[string]any{}
	if n.Kind != yaml.MappingNode {
		d.at(n, field, "must be a map of value: replacement")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var val any
		if err := v.Decode(&val); err != nil {
			d.at(v, joinField(field, k.Value), "%v", err)
		}
		out[k.Value] = val
	}
	return out
}

// Named date layouts; anything else is a Go layout (2006-01-02T15:04:05Z07:00).
var layouts = map[string]string{
	"rfc3339": time.RFC3339, "rfc3339nano": time.RFC3339Nano, "date": time.DateOnly,
	"datetime": time.DateTime, "unix": "unix", "unix_ms": "unix_ms",
}

// dateInputs are tried in order when a date transform names no input layout.
var dateInputs = []string{time.RFC3339Nano, time.DateOnly, time.DateTime, "2006-01", "2006"}

func (d *diags) dateTransform(arg *yaml.Node, field string) transform {
	var from []string
	to := ""
	switch arg.Kind {
	case yaml.ScalarNode:
		to = arg.Value
	case yaml.MappingNode:
		m, _ := d.mapNode(arg, field, "from", "to")
		if n := m["from"]; n != nil {
			from = []string{d.layout(n, field+".from")}
		}
		if n := m["to"]; n != nil {
			to = n.Value
		}
	}
	if to == "" {
		d.at(arg, field, "name the output layout: rfc3339, date, datetime, unix, unix_ms or a Go layout such as 02.01.2006")
		return nil
	}
	out := d.layout(&yaml.Node{Kind: yaml.ScalarNode, Value: to, Line: arg.Line, Column: arg.Column}, field)
	if from == nil {
		from = dateInputs
	}
	return func(v any) (any, bool) {
		t, ok := parseTime(v, from)
		if !ok {
			return nil, false
		}
		switch out {
		case "unix":
			return t.Unix(), true
		case "unix_ms":
			return t.UnixMilli(), true
		}
		return t.Format(out), true
	}
}

func (d *diags) layout(n *yaml.Node, field string) string {
	if l, ok := layouts[n.Value]; ok {
		return l
	}
	ref := time.Date(2001, 11, 12, 13, 14, 15, 0, time.UTC) // not the layout reference time
	if n.Value == "" || ref.Format(n.Value) == n.Value {    // no layout element in it
		d.at(n, field, "%q is not a date layout; want rfc3339, date, datetime, unix, unix_ms or a Go layout such as 02.01.2006", n.Value)
	}
	return n.Value
}

func parseTime(v any, layouts []string) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case string:
		for _, l := range layouts {
			switch l {
			case "unix", "unix_ms":
				n, err := strconv.ParseInt(x, 10, 64)
				if err != nil {
					continue
				}
				if l == "unix" {
					return time.Unix(n, 0).UTC(), true
				}
				return time.UnixMilli(n).UTC(), true
			}
			if t, err := time.Parse(l, strings.TrimSpace(x)); err == nil {
				return t, true
			}
		}
	case int:
		if contains(layouts, "unix_ms") {
			return time.UnixMilli(int64(x)).UTC(), true
		}
		return time.Unix(int64(x), 0).UTC(), true
	}
	return time.Time{}, false
}

// empty is "no value": nil, "", an empty list or map.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
