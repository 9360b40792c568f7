package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTemplateCheckCommitted(t *testing.T) {
	out := mustRun(t, "template", "--check", "--template", "../../template.yaml", "--mappings", "../../mappings")
	if !strings.Contains(out, "is up to date (2 targets") {
		t.Fatalf("template --check: %s", out)
	}
}

// TestTemplateAddTarget is the README's "adding a target": a mapping file,
// a failing check, one generator run, a passing check.
func TestTemplateAddTarget(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.yaml")
	maps := filepath.Join(dir, "mappings")
	if err := os.Mkdir(maps, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTo(t, "../../template.yaml", tpl, 0o640)
	for _, name := range []string{"salesforce.yaml", "webhook.yaml"} {
		copyTo(t, filepath.Join("../../mappings", name), filepath.Join(maps, name), 0o644)
	}
	copyTo(t, "../../mappings/webhook.yaml", filepath.Join(maps, "crm-eu.yaml"), 0o644)
	rules, _ := filepath.Glob("../../mappings/claims/*.yaml")
	if err := os.Mkdir(filepath.Join(maps, "claims"), 0o755); err != nil || len(rules) == 0 {
		t.Fatalf("claim rules %v: %v", rules, err)
	}
	for _, r := range rules {
		copyTo(t, r, filepath.Join(maps, "claims", filepath.Base(r)), 0o644)
	}

	r := runCLI(t, "template", "--check", "--template", tpl, "--mappings", maps)
	if r.code != 1 || !strings.Contains(r.stderr, "(- committed, + generated)") || !strings.Contains(r.stderr, "+") ||
		!strings.Contains(r.stderr, "CrmEu") {
		t.Fatalf("check of a stale template: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := mustRun(t, "template", "--template", tpl, "--mappings", maps); !strings.Contains(out, "wrote "+tpl+" (3 targets") {
		t.Fatalf("template: %s", out)
	}
	if out := mustRun(t, "template", "--check", "--template", tpl, "--mappings", maps); !strings.Contains(out, "up to date (3 targets") {
		t.Fatalf("check after the run: %s", out)
	}
	st, err := os.Stat(tpl)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("mode after rewrite = %v, %v; want 0640 kept", st.Mode(), err)
	}
	raw, _ := os.ReadFile(tpl)
	if !strings.Contains(string(raw), "  CrmEuSyncFunction:\n") {
		t.Fatal("no CrmEuSyncFunction in the rewritten template")
	}
	// Only salesforce batches; the generic crm-eu and webhook keep 10.
	if n := strings.Count(string(raw), "MaximumBatchingWindowInSeconds: 5\n"); n != 1 {
		t.Errorf("%d batching windows, want 1 (salesforce)", n)
	}
	if !strings.Contains(string(raw), "  VerifierFunction:\n") {
		t.Error("no VerifierFunction: the claim rules were not read")
	}
	if n := strings.Count(string(raw), "BatchSize: 10\n"); n != 2 {
		t.Errorf("%d targets with BatchSize 10, want 2 (webhook, crm-eu)", n)
	}
}

func TestTemplateErrors(t *testing.T) {
	if r := runCLI(t, "template", "--mappings", filepath.Join(t.TempDir(), "none")); r.code != 2 || !strings.Contains(r.stderr, "not a directory") {
		t.Fatalf("missing mappings dir: exit %d\n%s", r.code, r.stderr)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crm.yaml"), []byte("version: 1\nconnector: hubspotx\nevents: [created]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "template", "--check", "--template", "../../template.yaml", "--mappings", dir)
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Join(dir, "crm.yaml")) || !strings.Contains(r.stderr, "hubspotx") {
		t.Fatalf("bad mapping: exit %d\n%s", r.code, r.stderr)
	}
	// A claim rule that does not load stops the run, naming its file.
	if err := os.MkdirAll(filepath.Join(dir, "ok", "claims"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyTo(t, "../../mappings/webhook.yaml", filepath.Join(dir, "ok", "webhook.yaml"), 0o644)
	bad := filepath.Join(dir, "ok", "claims", "hcp.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: npix}]\nwrite_back: {status: s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "template", "--check", "--template", "../../template.yaml", "--mappings", filepath.Join(dir, "ok"))
	if r.code != 1 || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "npix") {
		t.Fatalf("bad claim rule: exit %d\n%s", r.code, r.stderr)
	}
	broken := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(broken, []byte("Resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "template", "--template", broken, "--mappings", "../../mappings")
	if r.code != 1 || !strings.Contains(r.stderr, "no marker pair") {
		t.Fatalf("template without markers: exit %d\n%s", r.code, r.stderr)
	}
}

func copyTo(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}
