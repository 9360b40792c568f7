package registry

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/spec"
)

// settingsCase is one edit of a kind's valid settings and the path its
// error must carry.
type settingsCase struct {
	name string
	edit func(m map[string]any)
	path spec.Path
}

// wrongValue is a value of another type than t; the number is one a test
// can look for in the message, which must not quote it.
func wrongValue(t spec.Type) any {
	if t == spec.String {
		return 987654321
	}
	return "987654321"
}

// specCases derives the generic cases from a kind's spec: an unknown key,
// each required key missing, each enum given a value outside it, each key
// given a value of the wrong type, and the same one level down.
func specCases(fields []spec.Field, valid map[string]any) []settingsCase {
	cases := []settingsCase{{"unknown key", func(m map[string]any) { m["bogus"] = "987654321" }, spec.At("bogus")}}
	for _, f := range fields {
		p := spec.At(f.Name)
		if f.Required {
			cases = append(cases, settingsCase{"missing " + f.Name, func(m map[string]any) { delete(m, f.Name) }, p})
		}
		if f.Enum != nil {
			cases = append(cases, settingsCase{"bad enum " + f.Name, func(m map[string]any) { m[f.Name] = "not-a-value-987654321" }, p})
		}
		cases = append(cases, settingsCase{"wrong type " + f.Name, func(m map[string]any) { m[f.Name] = wrongValue(f.Type) }, p})
		if f.Type != spec.ObjectMap {
			continue
		}
		entries, _ := valid[f.Name].(map[string]any)
		for name := range entries {
			cases = append(cases,
				settingsCase{"unknown key in " + f.Name, func(m map[string]any) {
					m[f.Name].(map[string]any)[name].(map[string]any)["bogus"] = "x"
				}, spec.At(f.Name, name, "bogus")},
				settingsCase{"wrong type in " + f.Name, func(m map[string]any) {
					m[f.Name].(map[string]any)[name].(map[string]any)[f.Fields[0].Name] = wrongValue(f.Fields[0].Type)
				}, spec.At(f.Name, name, f.Fields[0].Name)})
			if f.Keys != nil {
				cases = append(cases, settingsCase{"unknown name in " + f.Name, func(m map[string]any) {
					m[f.Name].(map[string]any)["bogus"] = map[string]any{}
				}, spec.At(f.Name, "bogus")})
			}
			break
		}
	}
	return cases
}

// TestSettingsFollowSpec runs the cases every spec implies against every
// kind's CheckSettings: each error is a *spec.Error at the edited key,
// names it, and quotes no value. Connector-specific checks are tested in
// the connectors.
func TestSettingsFollowSpec(t *testing.T) {
	for _, row := range kindRows() {
		k, _ := Lookup(row.kind)
		t.Run(row.kind, func(t *testing.T) {
			if err := k.CheckSettings(row.settings); err != nil {
				t.Fatalf("valid settings: %v", err)
			}
			for _, tc := range specCases(k.Spec.Settings, row.settings) {
				m := deepCopy(row.settings)
				tc.edit(m)
				err := k.CheckSettings(m)
				if !hasPath(err, tc.path) {
					t.Errorf("%s: CheckSettings = %v, want a *spec.Error at %s", tc.name, err, tc.path)
					continue
				}
				if !strings.Contains(err.Error(), `"`+tc.path.String()+`"`) || strings.Contains(err.Error(), "987654321") {
					t.Errorf("%s: %q: want the field named and no value quoted", tc.name, err)
				}
			}
		})
	}
}

// TestSecretsFollowSpec: a secret without one of its required keys, with
// an unknown one, or with a value of the wrong type fails to build; the
// error names that key and quotes no value.
func TestSecretsFollowSpec(t *testing.T) {
	for _, row := range kindRows() {
		k, _ := Lookup(row.kind)
		t.Run(row.kind, func(t *testing.T) {
			cases := []settingsCase{{"unknown key", func(m map[string]any) { m["bogus"] = "987654321" }, spec.At("bogus")}}
			for _, f := range k.Spec.Secret {
				if f.Required {
					cases = append(cases, settingsCase{"missing " + f.Name, func(m map[string]any) { delete(m, f.Name) }, spec.At(f.Name)})
				}
				cases = append(cases, settingsCase{"wrong type " + f.Name, func(m map[string]any) { m[f.Name] = wrongValue(f.Type) }, spec.At(f.Name)})
			}
			for _, tc := range cases {
				var m map[string]any
				if err := json.Unmarshal([]byte(row.secret), &m); err != nil {
					t.Fatal(err)
				}
				tc.edit(m)
				secret, _ := json.Marshal(m)
				_, err := k.New("t1", row.settings, secret, nil)
				if err == nil || !strings.Contains(err.Error(), `"`+tc.path.String()+`"`) || strings.Contains(err.Error(), "987654321") {
					t.Errorf("%s: New = %v, want an error naming %s and quoting no value", tc.name, err, tc.path)
				}
			}
		})
	}
}

func hasPath(err error, p spec.Path) bool {
	for _, e := range spec.Leaves(err) {
		var se *spec.Error
		if errors.As(e, &se) && se.Path.String() == p.String() {
			return true
		}
	}
	return false
}

func deepCopy(m map[string]any) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range out {
		if sub, ok := v.(map[string]any); ok {
			out[k] = deepCopy(sub)
		}
	}
	return out
}
