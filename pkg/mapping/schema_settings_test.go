package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schemaKinds reads the connector kinds the schema's generated allOf
// covers (this package cannot import the connector registry).
func schemaKinds(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../mappings/mapping.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		AllOf []struct {
			If struct {
				Properties struct {
					Connector struct {
						Const string `json:"const"`
					} `json:"connector"`
				} `json:"properties"`
			} `json:"if"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range s.AllOf {
		kinds = append(kinds, e.If.Properties.Connector.Const)
	}
	if len(kinds) < 10 {
		t.Fatalf("the schema covers %v; `profilesync docs` renders every kind", kinds)
	}
	return kinds
}

// For every connector kind, an unknown settings key fails the schema and
// the error names it with its path.
func TestSchemaRejectsUnknownSetting(t *testing.T) {
	s := compileSchema(t)
	for _, kind := range schemaKinds(t) {
		y := strings.Replace(base, "connector: generic\n", "connector: "+kind+"\nsettings:\n  bogus_key: 1\n", 1)
		err := s.Validate(yamlToJSON(t, []byte(y)))
		if err == nil || !strings.Contains(err.Error(), "/settings") || !strings.Contains(err.Error(), "bogus_key") {
			t.Errorf("%s: schema error = %v, want one at /settings naming bogus_key", kind, err)
		}
	}
}

// The example mappings of every connector validate against the schema.
func TestExampleMappingsMatchSchema(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("../../examples/mappings/*.yaml")
	if len(files) < 5 {
		t.Fatalf("found %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlToJSON(t, b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
