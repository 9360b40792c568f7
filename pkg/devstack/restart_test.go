package devstack

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openStack starts a stack on dir; the caller closes it.
func openStack(t *testing.T, dir string) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Options{
		Addr: "127.0.0.1:0", DataDir: dir, VisibilityTimeout: 2 * time.Second,
		Log: slog.New(slog.NewTextHandler(testLogOut(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func closeStack(t *testing.T, s *Stack) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func sampleFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSandboxSurvivesRestart: what the sandbox received is there after a
// restart on the same data directory, and Reset empties it.
func TestSandboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStack(t, dir)
	res, err := Send(context.Background(), SendOptions{URL: s.URL, DataDir: dir, Source: "cidaas", Body: sampleFile(t, "cidaas-account-created.json")})
	if err != nil || res.Status != 200 {
		t.Fatalf("send: %v %d %s", err, res.Status, res.Body)
	}
	eventually(t, "Jane at both sandbox targets", func() bool {
		return len(s.Sandbox.Salesforce.Records("Contact")) == 1 && len(s.Sandbox.Webhook.Records()) == 1
	})
	sfID := s.Sandbox.Salesforce.Records("Contact")[0]["Id"]
	closeStack(t, s)

	s = openStack(t, dir)
	if got := s.Sandbox.Salesforce.Records("Contact"); len(got) != 1 || got[0]["Id"] != sfID || got[0]["LastName"] != "Doe" {
		t.Errorf("salesforce after restart: %v, want Jane's Contact %v", got, sfID)
	}
	if got := s.Sandbox.Webhook.Records(); len(got) != 1 || got[0].Key != janeSub {
		t.Errorf("webhook after restart: %+v, want Jane's record", got)
	}
	closeStack(t, s)

	removed, err := Reset(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) == 0 {
		t.Fatal("reset removed nothing")
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets", "cidaas.json")); err != nil {
		t.Errorf("reset without secrets removed the secrets: %v", err)
	}
	s = openStack(t, dir)
	defer closeStack(t, s)
	if got := s.Sandbox.Salesforce.Records("Contact"); len(got) != 0 {
		t.Errorf("salesforce after reset: %v, want nothing", got)
	}
	if got := s.Sandbox.Webhook.Records(); len(got) != 0 {
		t.Errorf("webhook after reset: %+v, want nothing", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox")); err != nil {
		t.Errorf("the restarted stack has no sandbox directory: %v", err)
	}
}
