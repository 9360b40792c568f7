package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReset(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"profilesync.db", "sandbox/salesforce.json", "bodies/x", "secrets/cidaas.json"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing listens on port 9 of loopback: no stack is running there.
	out := mustRun(t, "reset", "--data", dir, "--url", "http://127.0.0.1:9")
	for _, want := range []string{"profilesync.db: the queues", "sandbox: what the sandbox fakes hold", "bodies: the stored", "kept " + filepath.Join(dir, "secrets")} {
		if !strings.Contains(out, want) {
			t.Errorf("reset said:\n%s\nwant %q", out, want)
		}
	}
	for _, gone := range []string{"profilesync.db", "sandbox", "bodies"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after reset (%v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets", "cidaas.json")); err != nil {
		t.Errorf("reset removed the secrets: %v", err)
	}
	mustRun(t, "reset", "--data", dir, "--secrets", "--url", "http://127.0.0.1:9")
	if _, err := os.Stat(filepath.Join(dir, "secrets")); !os.IsNotExist(err) {
		t.Errorf("reset --secrets kept the secrets (%v)", err)
	}
}

func TestResetRefusesARunningStack(t *testing.T) {
	s, dir := startStack(t)
	r := runCLI(t, "reset", "--data", dir, "--url", s.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "a stack is running") {
		t.Fatalf("reset with a running stack: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "profilesync.db")); err != nil {
		t.Errorf("the refused reset removed the database: %v", err)
	}
}
