package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSendTellsTheOutcome: send waits and says what became of the event
// at each target — delivered the first time, skipped_unchanged the second.
func TestSendTellsTheOutcome(t *testing.T) {
	s, dir := startStack(t)
	send := func() string {
		return mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	}
	out := send()
	for _, re := range []string{
		`(?m)^event 5c1e9a2b-7d3f-4a6e-9b0c-1d2e3f4a5b6c \(created\):$`,
		`(?m)^  salesforce +delivered, record 003\w+$`,
		`(?m)^  webhook +delivered, record c-1$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("first send: no line matching %s in:\n%s", re, out)
		}
	}
	out = send()
	for _, re := range []string{
		`(?m)^  salesforce +skipped_unchanged: the target already holds this record$`,
		`(?m)^  webhook +skipped_unchanged: `,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("second send: no line matching %s in:\n%s", re, out)
		}
	}
}

// TestSendNoWait prints the ingress's answer only.
func TestSendNoWait(t *testing.T) {
	s, dir := startStack(t)
	out := mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir, "--no-wait")
	if strings.Contains(out, "event ") || !strings.Contains(out, `"enqueued":3`) {
		t.Fatalf("send --no-wait printed:\n%s", out)
	}
}

// TestSendBadSignatureDoesNotWait: a refused webhook shows the 401 at
// once, with nothing to follow.
func TestSendBadSignatureDoesNotWait(t *testing.T) {
	s, dir := startStack(t)
	// Clerk's secret as the stack did not read it: the signature is wrong.
	secret := filepath.Join(dir, "secrets", "clerk.json")
	writeFile(t, secret, `{"kind":"standardwebhooks","secrets":["whsec_`+"d3JvbmctZGV2LWNsZXJrLXNpZ25pbmctc2VjcmV0IQ=="+`"]}`)
	r := runCLI(t, "send", "clerk", samples+"clerk-user-updated.json", "--url", s.URL, "--data", dir, "--timeout", "1m")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "401 Unauthorized\n") || strings.Contains(r.stdout, "event ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestQuickstartStory is the README's quickstart: every printed outcome
// is the one the README shows.
func TestQuickstartStory(t *testing.T) {
	s, dir := startStack(t)
	send := func(name string) string {
		return mustRun(t, "send", "cidaas", samples+name, "--url", s.URL, "--data", dir)
	}
	steps := []struct {
		file string
		want []string
	}{
		{"cidaas-account-created.json", []string{`(?m)^  salesforce +delivered, record 003`, `(?m)^  webhook +delivered, record c-1$`}},
		{"cidaas-account-modified.json", []string{`changed the sandbox cidaas user`, `(?m)^  salesforce +delivered, record 003`, `(?m)^  webhook +skipped_unchanged: `}},
		{"cidaas-consent-revoked.json", []string{`(?m)^  webhook +delivered, record c-1$`}},
		{"cidaas-account-deleted.json", []string{`(?m)^  salesforce +deleted, record 003`, `(?m)^  webhook +deleted, record c-1$`}},
	}
	for i, st := range steps {
		out := send(st.file)
		for _, re := range st.want {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("%s: no line matching %s in:\n%s", st.file, re, out)
			}
		}
		if i == 1 && !strings.Contains(mustRun(t, "sandbox", "list", "salesforce", "--url", s.URL), `"MailingCity": "Hamburg"`) {
			t.Errorf("after the update, Salesforce does not show Hamburg")
		}
	}
}
