package mapping

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in one mapping file: where it is, which field, and
// what was expected. A Warning does not stop the mapping from loading.
type Error struct {
	File    string
	Line    int
	Column  int
	Field   string
	Msg     string
	Warning bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Warning {
		b.WriteString("warning: ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// diags collects a file's problems so one run reports all of them.
type diags struct {
	file  string
	list  []*Error
	phone bool // something in the file uses e164

	phoneFunc PhoneFunc // the Loader's normaliser, or nil
	check     SettingsChecker
}

func (d *diags) at(n *yaml.Node, field, format string, a ...any) {
	d.add(n, field, false, format, a...)
}

func (d *diags) warn(n *yaml.Node, field, format string, a ...any) {
	d.add(n, field, true, format, a...)
}

func (d *diags) add(n *yaml.Node, field string, warning bool, format string, a ...any) {
	e := &Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, a...), Warning: warning}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.list = append(d.list, e)
}

func (d *diags) errs() int {
	n := 0
	for _, e := range d.list {
		if !e.Warning {
			n++
		}
	}
	return n
}

// sorted returns the problems in file order.
func (d *diags) sorted() []*Error {
	out := append([]*Error(nil), d.list...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// joined returns the errors (not the warnings) as one error, or nil.
func joined(list []*Error) error {
	var errs []error
	for _, e := range list {
		if !e.Warning {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// mapNode checks that n is a mapping whose keys are all in allowed, and
// returns key → value nodes. An unknown key is an error naming the ones
// allowed.
func (d *diags) mapNode(n *yaml.Node, field string, allowed ...string) (map[string]*yaml.Node, []*yaml.Node) {
	if n.Kind != yaml.MappingNode {
		d.at(n, field, "must be a map (with keys %s)", strings.Join(allowed, ", "))
		return nil, nil
	}
	out := map[string]*yaml.Node{}
	var keys []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := joinField(field, k.Value)
		if allowed != nil && !contains(allowed, k.Value) {
			d.at(k, name, "unknown key; want one of %s", strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.at(k, name, "set twice")
			continue
		}
		out[k.Value] = v
		keys = append(keys, k)
	}
	return out, keys
}

func joinField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// str reads a string scalar.
func (d *diags) str(n *yaml.Node, field, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || n.Value == "" {
		d.at(n, field, "must be %s", what)
		return "", false
	}
	return n.Value, true
}

// strList reads a list of strings.
func (d *diags) strList(n *yaml.Node, field, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		d.at(n, field, "must be a list of %s", what)
		return nil, false
	}
	out := []string{}
	ok := true
	for _, c := range n.Content {
		s, good := d.str(c, field, what)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}
