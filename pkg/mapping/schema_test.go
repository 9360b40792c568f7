package mapping

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
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile("../../mappings/mapping.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON decodes YAML into the values JSON would give (string keys,
// json.Number), which is what the schema validator takes.
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

// stringKeys turns YAML's non-string map keys (true:, 1:) into strings, as
// the loader reads them.
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

// Every shipped mapping (and the feature example) validates against the
// schema editors use, and names it in its modeline.
func TestShippedMappingsMatchSchema(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("../../mappings/*.yaml")
	files = append(files, "testdata/examples/crm.yaml")
	if len(files) < 3 {
		t.Fatalf("found %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# yaml-language-server: $schema=") || !strings.Contains(strings.SplitN(string(b), "\n", 2)[0], "mapping.schema.json") {
			t.Errorf("%s: first line is not the yaml-language-server modeline", f)
		}
		if err := s.Validate(yamlToJSON(t, b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// The schema rejects what the loader rejects, for the mistakes an editor
// should underline.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	for name, y := range map[string]string{
		"unknown key":        base + "evnets: [created]\n",
		"bad event":          strings.Replace(base, "[created, updated]", "[created, upserted]", 1),
		"from and expr":      strings.Replace(base, "FirstName: given_name", "FirstName: {from: given_name, expr: given_name}", 1),
		"unknown transform":  strings.Replace(base, "FirstName: given_name", "FirstName: {from: given_name, transform: [titlecase]}", 1),
		"bad policy":         base + "on_delete: purge\n",
		"unknown level key":  strings.Replace(base, "    sources: [cidaas]", "    source: [cidaas]", 1),
		"consent no purpose": base + "consent: {on_revoke: delete}\n",
		"bad on_invalid":     strings.Replace(base, "FirstName: given_name", "FirstName: {from: given_name, on_invalid: ignore}", 1),
		"bad log values":     base + "log: {values: clear}\n",
		"bad log field":      base + "log: {fields: {FirstName: raw}}\n",
	} {
		if err := s.Validate(yamlToJSON(t, []byte(y))); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
		if _, err := withPhone.Parse("crm.yaml", []byte(y)); err == nil {
			t.Errorf("%s: loader accepted it", name)
		}
	}
}
