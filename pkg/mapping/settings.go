package mapping

import (
	"errors"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// settingPather is an error that knows which settings key it is about
// (pkg/spec's *Error does). Declared here so this package needs no
// connector to place a settings error on its own line.
type settingPather interface{ SettingPath() []string }

// valueFaulter says whether the value, not the key, is at fault.
type valueFaulter interface{ AtValue() bool }

// settingsErrors reports each error of a settings check at the node of the
// key it names (the value's node for a bad value), else at settings: (or
// connector: when there is no settings block).
func (d *diags) settingsErrors(top map[string]*yaml.Node, err error) {
	fallback := top["settings"]
	if fallback == nil {
		fallback = top["connector"]
	}
	for _, e := range leafErrors(err) {
		at := fallback
		var sp settingPather
		if errors.As(e, &sp) {
			var vf valueFaulter
			value := errors.As(e, &vf) && vf.AtValue()
			if n := settingNode(top["settings"], sp.SettingPath(), value); n != nil {
				at = n
			}
		}
		d.at(at, "settings", "%s", strings.ReplaceAll(e.Error(), "\n", "; "))
	}
}

// leafErrors lists the members of errors.Join, at any depth.
func leafErrors(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leafErrors(e)...)
	}
	return out
}

// settingNode walks path ("[i]" for a list element) from the settings
// node and returns the deepest node it reaches: the key's node, or its
// value's when value is set and the whole path was found. Nil when not
// even the first key is there.
func settingNode(n *yaml.Node, path []string, value bool) *yaml.Node {
	var found *yaml.Node
	for i, elem := range path {
		if n == nil {
			break
		}
		key, val := child(n, elem)
		if val == nil {
			break
		}
		found, n = key, val
		if i == len(path)-1 && value {
			found = val
		}
	}
	return found
}

// child returns the key node (for a list element, the element) and the
// value node of elem in n.
func child(n *yaml.Node, elem string) (key, val *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == elem {
				return n.Content[i], n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if idx, ok := strings.CutPrefix(elem, "["); ok {
			j, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err == nil && j >= 0 && j < len(n.Content) {
				return n.Content[j], n.Content[j]
			}
		}
	}
	return nil, nil
}
