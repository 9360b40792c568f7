// Package samtemplate reads the project's SAM template (template.yaml) the
// way CloudFormation does, checks it against the official SAM JSON schema,
// and checks the invariants ProfileSync relies on (redrive, partial batch
// failures, concurrency caps, arm64, least privilege, an errors alarm per
// function). pkg/samgen writes the per-target blocks these checks read. The test suite runs
// these checks; `profilesync validate` may reuse them. It does not deploy or
// transform anything.
package samtemplate

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads a CloudFormation/SAM YAML template and returns it as plain Go
// values (map[string]any, []any, string, int, float64, bool, nil) with
// every short-form tag (!Ref, !GetAtt, !Sub, …) turned into its long form
// ({"Ref": …}, {"Fn::GetAtt": [..]}, {"Fn::Sub": …}).
func Load(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tpl, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tpl, nil
}

// Decode is Load for template bytes.
func Decode(data []byte) (map[string]any, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	v, err := convert(&doc)
	if err != nil {
		return nil, err
	}
	tpl, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is a %T, want a mapping", v)
	}
	return tpl, nil
}

// shortForms maps each CloudFormation short-form tag to its long-form key.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!GetAtt":       "Fn::GetAtt",
	"!Sub":          "Fn::Sub",
	"!Join":         "Fn::Join",
	"!If":           "Fn::If",
	"!Equals":       "Fn::Equals",
	"!Not":          "Fn::Not",
	"!And":          "Fn::And",
	"!Or":           "Fn::Or",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!FindInMap":    "Fn::FindInMap",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Transform":    "Fn::Transform",
	"!ToJsonString": "Fn::ToJsonString",
	"!Length":       "Fn::Length",
}

func convert(n *yaml.Node) (any, error) {
	if key, ok := shortForms[n.Tag]; ok {
		v, err := convertUntagged(n)
		if err != nil {
			return nil, err
		}
		if s, isStr := v.(string); isStr && n.Tag == "!GetAtt" {
			// !GetAtt Res.Attr → ["Res", "Attr"]; attributes may contain dots.
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
		return map[string]any{key: v}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	return convertUntagged(n)
}

// convertUntagged converts n ignoring a short-form tag on n itself.
func convertUntagged(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("empty document")
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return convertMapping(n)
	case yaml.ScalarNode:
		return convertScalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
}

func convertMapping(n *yaml.Node) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merged, err := convert(v)
			if err != nil {
				return nil, err
			}
			m, ok := merged.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("line %d: merge key needs a mapping", k.Line)
			}
			for mk, mv := range m {
				if _, set := out[mk]; !set {
					out[mk] = mv
				}
			}
			continue
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		cv, err := convert(v)
		if err != nil {
			return nil, err
		}
		out[k.Value] = cv
	}
	return out, nil
}

func convertScalar(n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!!int", "!!float", "!!bool", "!!null":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	// Strings, timestamps (CloudFormation reads 2010-09-09 as a string) and
	// scalars under a short-form tag.
	return n.Value, nil
}
