package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/sandbox/npi"
)

const adaSub = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f" // the demo HCP in the sandbox cidaas

// The story the hcp sample tells: after `send` with it, `claims list`
// shows the claim verified, the sandbox cidaas profile holds the verdict,
// and the sandbox Salesforce Contact shows it.
func TestSendHCPSampleTellsTheClaimStory(t *testing.T) {
	s, dir := startStack(t)
	out := mustRun(t, "send", "cidaas", samples+"cidaas-account-modified-hcp.json", "--url", s.URL, "--data", dir)
	for _, re := range []string{
		`(?m)^changed the sandbox cidaas user ` + adaSub,
		`(?m)^  claims +hcp verified$`,
		`(?m)^  salesforce +delivered, record 003\w+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("send: no line matching %s in:\n%s", re, out)
		}
	}
	list := mustRun(t, "claims", "list", adaSub, "--data", dir, "--url", s.URL)
	if !regexp.MustCompile(`(?m)^\S+ +hcp +health_care_professional +verified +nppes +` + npi.DemoActiveNPI + ` +rule:hcp `).MatchString(list) {
		t.Errorf("claims list:\n%s", list)
	}
	eventually(t, 10*time.Second, "the verdict in the Salesforce sandbox", func() bool {
		return strings.Contains(mustRun(t, "sandbox", "list", "salesforce", "--url", s.URL), `"HCP_Status__c": "verified"`)
	})
	u, _ := s.Sandbox.Cidaas.User(adaSub)
	if c, _ := u["customFields"].(map[string]any); c["hcp_status"] != "verified" || c["hcp_npi"] != npi.DemoActiveNPI {
		t.Errorf("the sandbox cidaas profile: %v", c)
	}
	var ds []claims.Decision
	if err := json.Unmarshal([]byte(mustRun(t, "claims", "list", adaSub, "--data", dir, "--url", s.URL, "--output", "json")), &ds); err != nil || len(ds) != 1 {
		t.Errorf("claims list --output json: %v %v", ds, err)
	}
}

// claims verify is a dry run: each authority's request and answer, the
// verdict, what it would write; nothing recorded.
func TestClaimsVerifyDryRun(t *testing.T) {
	s, dir := startStack(t)
	prof := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(prof, []byte(`{"sub":"dry-1","given_name":"Ada","family_name":"Lovelace-Example","address":{"region":"CA"},
		"custom":{"declared_role":"health_care_professional","npi":"`+npi.DemoActiveNPI+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "claims", "verify", "--profile", prof, "--data", dir, "--url", s.URL)
	for _, re := range []string{
		`(?m)^rule hcp: claim hcp = "health_care_professional"$`,
		`(?m)^  nppes \(npi\): verified`,
		`(?m)^    GET http://127\.0\.0\.1:\d+/sandbox/npi/api/\?.*number=` + npi.DemoActiveNPI + `.* -> 200 `,
		`(?m)^  verdict: verified`,
		`(?m)^    hcp_status = verified$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	if out := mustRun(t, "claims", "list", "dry-1", "--data", dir); !strings.Contains(out, "no decisions") {
		t.Errorf("a dry run recorded:\n%s", out)
	}
	// A subject from the sandbox cidaas that declares nothing.
	if out := mustRun(t, "claims", "verify", "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", "--data", dir, "--url", s.URL); !strings.Contains(out, "no claim rule applies") {
		t.Errorf("verify Jane:\n%s", out)
	}
	if r := runCLI(t, "claims", "frobnicate"); r.code != 2 {
		t.Errorf("unknown subcommand: exit %d", r.code)
	}
}

// A manual approval from the command line: pending lists it with each
// approver's signed links; approve decides, records who, and writes the
// verdict back; a second decision is refused.
func TestClaimsPendingAndApprove(t *testing.T) {
	mdir := t.TempDir()
	sf, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mdir, "salesforce.yaml"), sf, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(mdir, "claims"), 0o700); err != nil {
		t.Fatal(err)
	}
	rule := "version: 1\nclaim: vet\ndeclared: {from: custom.declared_role, equals: veterinarian}\nevidence: {licence: custom.licence}\n" +
		"authorities:\n  - kind: manual\n    settings: {approvers: [team-vet-review]}\nwrite_back: {status: vet_status}\n"
	if err := os.WriteFile(filepath.Join(mdir, "claims", "vet.yaml"), []byte(rule), 0o600); err != nil {
		t.Fatal(err)
	}
	s, dir := startStackWith(t, os.DirFS(mdir))
	change := filepath.Join(t.TempDir(), "vet.json")
	sample := filepath.Join(filepath.Dir(change), "vet.sandbox.json")
	os.WriteFile(change, []byte(`{"eventtype":"ACCOUNT_MODIFIED","id":"vet-evt-1","sub":"`+adaSub+`","createdTime":"2025-01-02T09:00:00.000Z"}`), 0o600)
	os.WriteFile(sample, []byte(`{"cidaas_user":{"sub":"`+adaSub+`","fields":{"customFields":{"declared_role":"veterinarian","licence":"VET-42"}}}}`), 0o600)
	out := mustRun(t, "send", "cidaas", change, "--url", s.URL, "--data", dir)
	if !regexp.MustCompile(`(?m)^  claims +vet pending$`).MatchString(out) {
		t.Fatalf("send:\n%s", out)
	}
	pending := mustRun(t, "claims", "pending", "--data", dir, "--url", s.URL, "--mappings", mdir)
	m := regexp.MustCompile(`(?m)^approval ([0-9a-f]{32}): rule vet, claim vet = "veterinarian"`).FindStringSubmatch(pending)
	if m == nil || !regexp.MustCompile(`(?m)^  team-vet-review: approve http://127\.0\.0\.1:\d+/claims/approvals/\S+$`).MatchString(pending) {
		t.Fatalf("claims pending:\n%s", pending)
	}
	out = mustRun(t, "claims", "approve", m[1], "--as", "alice", "--data", dir, "--url", s.URL, "--mappings", mdir)
	if !strings.Contains(out, "approved by alice; rule vet is now verified") {
		t.Errorf("approve:\n%s", out)
	}
	u, _ := s.Sandbox.Cidaas.User(adaSub)
	if c, _ := u["customFields"].(map[string]any); c["vet_status"] != "verified" {
		t.Errorf("written back: %v", c)
	}
	if r := runCLI(t, "claims", "reject", m[1], "--data", dir, "--url", s.URL, "--mappings", mdir); r.code == 0 || !strings.Contains(r.stderr, "already decided") {
		t.Errorf("a second decision: exit %d, %s", r.code, r.stderr)
	}
	if out := mustRun(t, "claims", "pending", "--data", dir, "--url", s.URL, "--mappings", mdir); !strings.Contains(out, "no approvals pending") {
		t.Errorf("pending after the decision:\n%s", out)
	}
	list := mustRun(t, "claims", "list", adaSub, "--data", dir, "--url", s.URL, "--mappings", mdir)
	if !strings.Contains(list, "approver:alice") {
		t.Errorf("claims list:\n%s", list)
	}
}
