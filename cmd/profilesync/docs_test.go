package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed schema and README are what the specs generate.
func TestDocsCheckCommitted(t *testing.T) {
	out := mustRun(t, "docs", "--check", "--schema", "../../mappings/mapping.schema.json",
		"--claims-schema", "../../mappings/claims.schema.json", "--jobs-schema", "../../mappings/jobs.schema.json", "--readme", "../../README.md")
	if strings.Count(out, "is up to date") != 4 {
		t.Fatalf("docs --check: %s", out)
	}
}

// A stale copy fails the check, one run rewrites it, and the check passes.
func TestDocsStale(t *testing.T) {
	dir := t.TempDir()
	schema, readme := filepath.Join(dir, "schema.json"), filepath.Join(dir, "README.md")
	claimsSchema, jobsSchema := filepath.Join(dir, "claims.schema.json"), filepath.Join(dir, "jobs.schema.json")
	copyEdited(t, "../../mappings/jobs.schema.json", jobsSchema, `"segment_rows"`, `"rows"`)
	copyEdited(t, "../../mappings/mapping.schema.json", schema, `"bus_name"`, `"bus"`)
	copyEdited(t, "../../mappings/claims.schema.json", claimsSchema, `"licence_state"`, `"license_state"`)
	copyEdited(t, "../../README.md", readme, "| `object` |", "| `objekt` |")
	args := []string{"docs", "--schema", schema, "--claims-schema", claimsSchema, "--jobs-schema", jobsSchema, "--readme", readme}
	r := runCLI(t, append(args, "--check")...)
	if r.code != 1 || !strings.Contains(r.stderr, "schema.json is not what the specs generate") || !strings.Contains(r.stderr, "README.md is not what") ||
		!strings.Contains(r.stderr, "jobs.schema.json is not what the specs generate") ||
		!strings.Contains(r.stderr, "claims.schema.json is not what the specs generate") {
		t.Fatalf("check of stale files: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, args...)
	if out := mustRun(t, append(args, "--check")...); strings.Count(out, "is up to date") != 4 {
		t.Fatalf("check after the run: %s", out)
	}
}

func copyEdited(t *testing.T, from, to, old, new string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", from, old)
	}
	if err := os.WriteFile(to, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The claim rule schema is generated whole: a missing one fails the
// check, and the run creates it.
func TestDocsCreatesClaimsSchema(t *testing.T) {
	dir := t.TempDir()
	claimsSchema := filepath.Join(dir, "claims.schema.json")
	args := []string{"docs", "--schema", "../../mappings/mapping.schema.json", "--claims-schema", claimsSchema, "--jobs-schema", "../../mappings/jobs.schema.json", "--readme", "../../README.md"}
	if r := runCLI(t, append(args, "--check")...); r.code != 1 || !strings.Contains(r.stderr, "claims.schema.json is not what") {
		t.Fatalf("check without the file: exit %d\n%s", r.code, r.stderr)
	}
	if out := mustRun(t, args...); !strings.Contains(out, "wrote "+claimsSchema) {
		t.Fatalf("docs: %s", out)
	}
	got, _ := os.ReadFile(claimsSchema)
	want, _ := os.ReadFile("../../mappings/claims.schema.json")
	if string(got) != string(want) {
		t.Fatal("the created schema differs from the committed one")
	}
}
