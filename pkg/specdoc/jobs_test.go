package specdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every shipped job validates against jobs.schema.json (whose columns
// refer to the mapping schema's values), and the schema refuses an
// unknown key with its path.
func TestShippedJobsValidateAgainstTheSchema(t *testing.T) {
	s, err := jsonschema.NewCompiler().Compile("../../mappings/jobs.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../mappings/jobs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no shipped jobs")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# yaml-language-server: $schema=../jobs.schema.json\n") {
			t.Errorf("%s: no schema modeline", f)
		}
		if err := s.Validate(yamlToJSON(t, b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		bad := strings.Replace(string(b), "limits: {", "limits: {retries: 3, ", 1)
		if bad == string(b) { // no limits (synclog): an unknown key in the destination
			bad = strings.Replace(string(b), "destination: {", "destination: {retries: 3, ", 1)
		}
		if err := s.Validate(yamlToJSON(t, []byte(bad))); err == nil || !strings.Contains(err.Error(), "/limits") && !strings.Contains(err.Error(), "/destination") {
			t.Errorf("%s with an unknown key: %v", f, err)
		}
		bad = strings.Replace(string(b), "type: csv", "type: xlsx", 1)
		if bad == string(b) {
			continue // not an export
		}
		if err := s.Validate(yamlToJSON(t, []byte(bad))); err == nil || !strings.Contains(err.Error(), "/format/type") {
			t.Errorf("%s with an unknown format: %v", f, err)
		}
	}
}
