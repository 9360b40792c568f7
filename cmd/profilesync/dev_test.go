package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// dev --help and the banner name the fakes the sandbox mounts
// (sandbox.Targets and sandbox.Sources; pkg/sandbox tests that they are
// exactly the mounted ones).
func TestDevHelpListsTheFakes(t *testing.T) {
	out := mustRun(t, "dev", "--help")
	for _, want := range []string{"sources: " + strings.Join(sandbox.Sources, ", "), "targets: " + strings.Join(sandbox.Targets, ", ")} {
		if !strings.Contains(out, want) {
			t.Errorf("dev --help lacks %q:\n%s", want, out)
		}
	}
}

// The banner prints the mappings' warnings, at their file:line:column,
// and the fakes.
func TestDevBannerWarnsAndListsTheFakes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"salesforce.yaml", "webhook.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../mappings", name))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("LastName: family_name"), []byte("LastName: family_nam"), 1)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := devstack.Start(context.Background(), devstack.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(),
		Mappings: os.DirFS(dir), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var out bytes.Buffer
	printStack(&cli{stdout: &out, stderr: io.Discard}, s, t.TempDir(), dir)
	for _, want := range []string{
		"Mapping warnings (1):\n  " + filepath.Join(dir, "salesforce.yaml") + `:18:13: warning: fields.LastName: profile has no attribute "family_nam"`,
		"Sandbox fakes (under " + s.URL + "/sandbox/<name>/):",
		"  sources: " + strings.Join(sandbox.Sources, ", ") + "\n",
		"  targets: " + strings.Join(sandbox.Targets, ", ") + "\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
}
