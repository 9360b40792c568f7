package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestValidateShippedMappings(t *testing.T) {
	out := mustRun(t, "validate", "../../mappings")
	if !strings.HasPrefix(out, "2 mappings OK") {
		t.Fatalf("validate: %s", out)
	}
	// No ./mappings here: the built-in set.
	if out := mustRun(t, "validate"); !strings.Contains(out, "mappings OK (mappings (built in))") {
		t.Fatalf("validate without DIR: %s", out)
	}
}

func TestValidateBrokenMappings(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"salesforce.yaml", "webhook.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../mappings", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "salesforce.yaml" {
			b = []byte(strings.Replace(string(b), "LastName: family_name", "LastName: family_nam", 1))
		} else {
			b = []byte(strings.Replace(string(b), "connector: generic", "connector: hubspot", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, "validate", dir)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, file := range []string{"salesforce.yaml", "webhook.yaml"} {
		re := regexp.MustCompile(regexp.QuoteMeta(filepath.Join(dir, file)) + `:\d+: `)
		if !re.MatchString(r.stdout) {
			t.Errorf("no %s:<line> problem in:\n%s", file, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "family_nam") || !strings.Contains(r.stdout, "hubspot") {
		t.Errorf("problems do not name the bad values:\n%s", r.stdout)
	}
}
