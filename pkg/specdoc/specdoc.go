// Package specdoc writes what the plug-in specs (pkg/spec) generate into the
// committed files that show them: the per-connector settings schemas at the
// end of mappings/mapping.schema.json, and the settings and secret tables
// between markers in README.md. Everything else in those files is written
// by hand and left as it is. `profilesync docs` runs it; a test fails when
// a committed file is stale.
package specdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/spec"
)

// allOfLine starts the generated part of the schema: the top-level allOf,
// which must be the schema's last key.
const allOfLine = "  \"allOf\": ["

// Schema returns the mapping schema with its allOf (everything from
// allOfLine to the end) rendered from the connectors: for each kind, "if
// connector is K then settings follow K's spec".
func Schema(committed []byte, connectors []spec.Component) ([]byte, error) {
	i := bytes.Index(committed, []byte("\n"+allOfLine))
	if i < 0 {
		return nil, fmt.Errorf("no line %q: the generated allOf must be the schema's last key", allOfLine)
	}
	var allOf []any
	for _, c := range connectors {
		settings := spec.Schema(c.Settings)
		settings["description"] = c.Summary
		then := map[string]any{"properties": map[string]any{"settings": settings}}
		if spec.HasRequired(c.Settings) {
			then["required"] = []string{"settings"}
		}
		allOf = append(allOf, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"connector": map[string]any{"const": c.Kind}}, "required": []string{"connector"}},
			"then": then,
		})
	}
	body, err := json.MarshalIndent(allOf, "  ", "  ")
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(committed[:i+1])
	out.WriteString(`  "allOf": `)
	out.Write(body)
	out.WriteString("\n}\n")
	if !json.Valid(out.Bytes()) {
		return nil, errors.New("the schema is not valid JSON with the generated allOf (is allOf its last key?)")
	}
	return out.Bytes(), nil
}

// Tables are the README's generated tables by marker name: "settings K"
// and "secret K" for each connector K, "secret S" for each source S, or
// "source secret S" when a connector has the kind S too (scim is both a
// target and a source), so neither table hides the other.
func Tables(connectors, sources []spec.Component) map[string]string {
	out := map[string]string{}
	for _, c := range connectors {
		if len(c.Settings) > 0 {
			out["settings "+c.Kind] = spec.Markdown("Setting", c.Settings)
		} else {
			out["settings "+c.Kind] = "No settings.\n"
		}
		out["secret "+c.Kind] = spec.Markdown("Secret key", c.Secret)
	}
	for _, s := range sources {
		name := "secret " + s.Kind
		if _, taken := out[name]; taken {
			name = "source " + name
		}
		out[name] = spec.Markdown("Secret key", s.Secret)
	}
	return out
}

// Readme replaces the text between each "<!-- BEGIN generated: NAME -->"
// and "<!-- END generated: NAME -->" line with tables[NAME]. Every table
// must have its markers, and every marker pair a table.
func Readme(readme []byte, tables map[string]string) ([]byte, error) {
	lines := strings.SplitAfter(string(readme), "\n")
	var out strings.Builder
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		name, ok := marker(lines[i], "BEGIN")
		if !ok {
			continue
		}
		table, known := tables[name]
		if !known {
			return nil, fmt.Errorf("line %d: no generated table %q", i+1, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: %q again", i+1, name)
		}
		seen[name] = true
		end := i + 1
		for end < len(lines) {
			if n, ok := marker(lines[end], "END"); ok && n == name {
				break
			}
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: BEGIN generated: %s has no END", i+1, name)
		}
		out.WriteString(table)
		out.WriteString(lines[end])
		i = end
	}
	var missing []string
	for name := range tables {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if missing != nil {
		slices.Sort(missing)
		return nil, fmt.Errorf("no markers for %s", strings.Join(missing, ", "))
	}
	return []byte(out.String()), nil
}

// marker reads "<!-- BEGIN generated: NAME -->" (or END) from line.
func marker(line, which string) (string, bool) {
	s, ok := strings.CutPrefix(strings.TrimSpace(line), "<!-- "+which+" generated: ")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(s, " -->")
	return name, ok
}
