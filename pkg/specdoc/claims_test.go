package specdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/claims"
	authregistry "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/spec"
)

const claimsSchemaPath = "../../mappings/claims.schema.json"

func compileClaimsSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(claimsSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON decodes YAML into the values JSON would give, which is what
// the validator takes (as pkg/mapping's schema tests do).
func yamlToJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(stringKeys(v))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = stringKeys(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
	}
	return v
}

func shippedRules(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../mappings/claims/*.yaml")
	if len(files) < 4 {
		t.Fatalf("found %v", files)
	}
	return files
}

// Every shipped rule validates against the schema its modeline names.
func TestShippedRulesMatchClaimsSchema(t *testing.T) {
	s := compileClaimsSchema(t)
	for _, f := range shippedRules(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if first := strings.SplitN(string(b), "\n", 2)[0]; first != "# yaml-language-server: $schema=../claims.schema.json" {
			t.Errorf("%s: first line %q is not the modeline", f, first)
		}
		if err := s.Validate(yamlToJSON(t, b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// The committed schema is what the specs generate (docs --check in
// cmd/profilesync checks the file as a whole; this names the kinds).
func TestClaimsSchemaCoversEveryKind(t *testing.T) {
	b, err := os.ReadFile(claimsSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(authregistry.Names(), claims.ManualKind) {
		if !strings.Contains(string(b), `"const": "`+k+`"`) {
			t.Errorf("the schema has no settings for kind %s", k)
		}
	}
}

// The schema rejects what the loader rejects, naming where.
func TestClaimsSchemaRejects(t *testing.T) {
	s := compileClaimsSchema(t)
	hcp, err := os.ReadFile("../../mappings/claims/hcp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(hcp)
	edit := func(old, new string) string {
		t.Helper()
		if !strings.Contains(base, old) {
			t.Fatalf("hcp.yaml has no %q; update this test", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	tests := []struct {
		name, rule string
		want       []string // in the schema's error
	}{
		{"unknown key", base + "valid_four: 30d\n", []string{"valid_four"}},
		{"unknown settings key", edit("      match_name: true\n", "      match_name: true\n      match_nmae: true\n"), []string{"/authorities/0/settings", "match_nmae"}},
		{"unknown authority key", edit("    secret: npi-registry\n", "    secret: npi-registry\n    secrets: x\n"), []string{"/authorities/0", "secrets"}},
		{"unknown kind", edit("    kind: npi\n", "    kind: npix\n"), []string{"/authorities/0/kind"}},
		{"bad duration", edit("valid_for: 365d\n", "valid_for: a year\n"), []string{"/valid_for"}},
		{"bad combine", base + "combine: most\n", []string{"/combine"}},
		{"unknown write_back key", edit("  status: hcp_status\n", "  status: hcp_status\n  state: hcp_state\n"), []string{"/write_back", "state"}},
		{"unknown environment key", base + "environments:\n  prod:\n    valid_for: 30d\n    claim: x\n", []string{"/environments/prod", "claim"}},
		{"manual without approvers", edit("    kind: npi\n", "    kind: manual\n"), []string{"/authorities/0/settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(yamlToJSON(t, []byte(tt.rule)))
			if err == nil {
				t.Fatal("schema accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("schema error lacks %q:\n%v", w, err)
				}
			}
			if _, err := (claims.Loader{CheckSettings: authregistry.CheckSettings}).Parse("hcp.yaml", []byte(tt.rule)); err == nil {
				t.Error("the loader accepted it")
			}
		})
	}
}

func TestClaimsSchemaGenerated(t *testing.T) {
	c := spec.Component{Kind: "k", Summary: "S.", Settings: []spec.Field{{Name: "a", Type: spec.String, Required: true}}}
	got, err := ClaimsSchema([]spec.Component{c})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"const": "k"`, `"enum": [` + "\n" + `            "k"`, `"additionalProperties": false`, `"description": "S."`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("schema lacks %s:\n%s", want, got)
		}
	}
}
