package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

const samples = "../../events/webhooks/"

func startStack(t *testing.T) (*devstack.Stack, string) {
	t.Helper()
	return startStackWith(t, nil)
}

// startStackWith starts a stack on the mapping files of mfs (nil: the
// embedded ones).
func startStackWith(t *testing.T, mfs fs.FS) (*devstack.Stack, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := devstack.Start(context.Background(), devstack.Options{
		Addr: "127.0.0.1:0", DataDir: dir, Mappings: mfs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, dir
}

// TestSendToSandbox is the newcomer's first five minutes: a signed cidaas
// webhook becomes a Salesforce Contact, and every shipped sample is
// accepted by the stack.
func TestSendToSandbox(t *testing.T) {
	s, dir := startStack(t)
	out := mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	// Salesforce, the webhook target, and the claim verifier's queue: a
	// thin event may carry a claim to verify, which only the fetched
	// profile tells.
	if !strings.HasPrefix(out, "200 OK\n") || !strings.Contains(out, `"enqueued":3`) {
		t.Fatalf("send answered:\n%s", out)
	}
	eventually(t, 10*time.Second, "the Contact of Jane Doe in the Salesforce sandbox", func() bool {
		return strings.Contains(mustRun(t, "sandbox", "list", "salesforce", "--url", s.URL), `"LastName": "Doe"`)
	})

	for _, tc := range []struct{ source, file, enqueued string }{
		{"akamai", "akamai-entity-updated.json", `"enqueued":3`}, // thin: the verifier fetches it too
		{"clerk", "clerk-user-updated.json", `"enqueued":2`},     // full, and declares no claim
	} {
		out := mustRun(t, "send", tc.source, samples+tc.file, "--url", s.URL, "--data", dir)
		if !strings.Contains(out, tc.enqueued) {
			t.Fatalf("send %s answered:\n%s", tc.file, out)
		}
	}
	eventually(t, 10*time.Second, "the Akamai and Clerk profiles at the webhook sandbox", func() bool {
		out := mustRun(t, "sandbox", "list", "webhook", "--url", s.URL)
		return strings.Contains(out, `"family": "Mustermann"`) && strings.Contains(out, `"family": "Beispiel"`)
	})

	mustRun(t, "send", "cidaas", samples+"cidaas-account-deleted.json", "--url", s.URL, "--data", dir)
	eventually(t, 10*time.Second, "Jane Doe deleted from both sandboxes", func() bool {
		out := mustRun(t, "sandbox", "list", "--url", s.URL)
		return !strings.Contains(out, `"Doe"`)
	})
}

func TestSendRejected(t *testing.T) {
	s, dir := startStack(t)
	// The stack read its secrets at start; a key changed since is wrong.
	path := filepath.Join(dir, "secrets", "cidaas.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(sandbox.DevCidaasAPIKey), []byte("rotated-key"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	if r.code != 1 || !strings.HasPrefix(r.stdout, "401 Unauthorized\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "send", "akamai", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, `no "events"`) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "send", "nosuchciam", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "no secret") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

// TestDevCommand runs `dev` until its context ends.
func TestDevCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- runContext(ctx, []string{"dev", "--addr", "127.0.0.1:0", "--data", dir}, &out, &errOut)
	}()
	eventually(t, 10*time.Second, "dev prints its URL", func() bool { return strings.Contains(out.String(), "Ctrl-C") })
	text := out.String()
	for _, want := range []string{"running on http://127.0.0.1:", "/webhooks/cidaas", "/webhooks/akamai", "/webhooks/clerk",
		"/sandbox/salesforce/_sandbox/records", "/sandbox/webhook/_sandbox/records", "--data " + dir} {
		if !strings.Contains(text, want) {
			t.Errorf("dev output lacks %q:\n%s", want, text)
		}
	}
	url := strings.Fields(strings.SplitN(text, "running on ", 2)[1])[0]
	mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", url, "--data", dir)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("dev exit %d\n%s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dev did not stop")
	}
}
