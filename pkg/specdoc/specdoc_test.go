package specdoc

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/spec"
)

func TestReadme(t *testing.T) {
	tables := map[string]string{"settings x": "T\n"}
	tests := []struct {
		name, in, want, err string
	}{
		{"fills", "a\n<!-- BEGIN generated: settings x -->\nold\n<!-- END generated: settings x -->\nb\n",
			"a\n<!-- BEGIN generated: settings x -->\nT\n<!-- END generated: settings x -->\nb\n", ""},
		{"no END", "<!-- BEGIN generated: settings x -->\nold\n", "", "has no END"},
		{"unknown table", "<!-- BEGIN generated: settings y -->\n<!-- END generated: settings y -->\n", "", `no generated table "settings y"`},
		{"missing markers", "text\n", "", "no markers for settings x"},
		{"twice", strings.Repeat("<!-- BEGIN generated: settings x -->\n<!-- END generated: settings x -->\n", 2), "", "again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Readme([]byte(tt.in), tables)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Readme = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	c := spec.Component{Kind: "k", Summary: "S.", Settings: []spec.Field{{Name: "a", Type: spec.String, Required: true}}}
	got, err := Schema([]byte("{\n  \"type\": \"object\",\n  \"allOf\": []\n}\n"), []spec.Component{c})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"const": "k"`, `"required": [` + "\n" + `          "settings"`, `"additionalProperties": false`, `"description": "S."`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("schema lacks %s:\n%s", want, got)
		}
	}
	if _, err := Schema([]byte("{\n  \"type\": \"object\"\n}\n"), nil); err == nil {
		t.Error("a schema without allOf was accepted")
	}
}

// A source of the same kind as a connector (scim) gets a table of its own
// rather than replacing the connector's.
func TestTablesSourceAndConnectorOfOneKind(t *testing.T) {
	field := func(name string) []spec.Field { return []spec.Field{{Name: name, Type: spec.String}} }
	got := Tables([]spec.Component{{Kind: "scim", Secret: field("connector_key")}},
		[]spec.Component{{Kind: "scim", Secret: field("source_key")}, {Kind: "okta", Secret: field("okta_key")}})
	if !strings.Contains(got["secret scim"], "connector_key") || !strings.Contains(got["source secret scim"], "source_key") ||
		!strings.Contains(got["secret okta"], "okta_key") || len(got) != 4 {
		t.Fatalf("Tables = %v", got)
	}
}
