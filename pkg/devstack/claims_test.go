package devstack

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/sandbox/npi"
	sfake "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
	"github.com/profilesync/profilesync/pkg/sandbox/vies"
)

// startClaimsStack is a stack whose retries run 720 times faster (a
// 72-hour retry_for in six minutes), so an outage of the registry passes
// within a test.
func startClaimsStack(t *testing.T, fsys fstestFS) *Stack {
	t.Helper()
	o := Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), VisibilityTimeout: 2 * time.Second,
		Policy: delivery.Policy{TimeScale: 720}, Log: testLogger()}
	if fsys != nil {
		o.Mappings = fsys
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if s.Verifier == nil {
		t.Fatal("no claim verifier in the stack")
	}
	return s
}

type fstestFS = fstest.MapFS

func cidaasWebhook(t *testing.T, s *Stack, eventtype, sub string) {
	t.Helper()
	st, body := post(t, s.URL+"/webhooks/cidaas", map[string]string{"apikey": sandbox.DevCidaasAPIKey, "content-type": "application/json"},
		cidaasBody(eventtype, sub, time.Now()))
	if st != 200 {
		t.Fatalf("cidaas webhook: %d %s", st, body)
	}
}

func latest(t *testing.T, s *Stack, sub, rule string) *claims.Decision {
	t.Helper()
	d, err := s.Claims.Latest(context.Background(), sub, rule)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func cidaasCustom(s *Stack, sub string) map[string]any {
	u, ok := s.Sandbox.Cidaas.User(sub)
	if !ok {
		return nil
	}
	c, _ := u["customFields"].(map[string]any)
	return c
}

func testLogger() *slog.Logger { return slog.New(slog.NewTextHandler(testLogOut(), nil)) }

func base64Std(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// claimsIdle is true when the verifier's queue holds nothing, in flight
// or visible.
func claimsIdle(t *testing.T, s *Stack) bool {
	v, f, _, err := s.Queues.Depth(context.Background(), claims.QueueName)
	if err != nil {
		t.Fatal(err)
	}
	return v+f == 0
}

// The story of the shipped hcp rule: a customer declares "health care
// professional" with an NPI the registry knows; the verdict is recorded,
// written back to cidaas, and follows to Salesforce with cidaas's update
// webhook, whose echo is not verified again (one registry call).
func TestHCPClaimVerifiedWrittenBackAndReflected(t *testing.T) {
	s := startClaimsStack(t, nil)
	const sub = "hcp-0001"
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: sub, GivenName: npi.DemoFirstName, FamilyName: npi.DemoLastName,
		Email: "ada@example.org", EmailVerified: true, Address: &profile.Address{Region: npi.DemoState, Country: "US"},
		Custom: map[string]any{"declared_role": "health_care_professional", "npi": npi.DemoActiveNPI}})
	before := s.Sandbox.NPI.Calls()

	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", sub)
	eventually(t, "the verdict in Salesforce", func() bool {
		c := contact(s, sub)
		return c != nil && c["HCP_Status__c"] == "verified"
	})
	eventually(t, "the echo handled", func() bool { return claimsIdle(t, s) && len(s.Sandbox.Cidaas.Updates()) > 0 })
	d := latest(t, s, sub, "hcp")
	if d == nil || d.Verdict != claims.Verified || d.Reference != npi.DemoActiveNPI || d.Authority != "nppes" || d.DecidedBy != "rule:hcp" {
		t.Fatalf("decision = %+v", d)
	}
	c := cidaasCustom(s, sub)
	if c["hcp_status"] != "verified" || c["hcp_npi"] != npi.DemoActiveNPI || c["hcp_authority"] != "nppes" || c["hcp_taxonomy"] == nil {
		t.Errorf("cidaas profile = %v", c)
	}
	if got := s.Sandbox.NPI.Calls() - before; got != 1 {
		t.Errorf("registry calls = %d, want 1 (the echo must not verify again)", got)
	}
	if n := len(s.Sandbox.Cidaas.Updates()); n != 1 {
		t.Errorf("write-backs = %d, want 1", n)
	}
	h, _ := s.Claims.History(context.Background(), sub)
	if len(h) != 1 {
		t.Errorf("decisions = %d, want 1", len(h))
	}
}

// A corporate claim stays pending (written so) while VIES answers
// MS_UNAVAILABLE, and is verified once the member state is back.
func TestCorporateClaimPendingWhileVIESIsDown(t *testing.T) {
	s := startClaimsStack(t, nil)
	const sub = "corp-0001"
	s.Sandbox.VIES.SetUnavailable(vies.DemoCountryNL, true)
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: sub, GivenName: "Bea", FamilyName: "Example", Email: "bea@example.org", EmailVerified: true,
		Custom: map[string]any{"customer_type": "business", "vat_id": vies.DemoCountryNL + vies.DemoNumberNL}})
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", sub)
	eventually(t, "pending written back", func() bool { return cidaasCustom(s, sub)["corporate_status"] == "pending" })
	d := latest(t, s, sub, "corporate")
	if d == nil || d.Verdict != claims.Pending || !strings.Contains(d.Reason, "unavailable") {
		t.Fatalf("decision while down = %+v", d)
	}
	calls := s.Sandbox.VIES.Calls()
	eventually(t, "a retry", func() bool { return s.Sandbox.VIES.Calls() > calls })
	s.Sandbox.VIES.SetUnavailable(vies.DemoCountryNL, false)
	eventually(t, "verified after recovery", func() bool { return cidaasCustom(s, sub)["corporate_status"] == "verified" })
	if d := latest(t, s, sub, "corporate"); d.Verdict != claims.Verified || d.Reference == "" {
		t.Errorf("decision after recovery = %+v", d)
	}
	if _, _, dead, _ := s.Queues.Depth(context.Background(), claims.QueueName); dead != 0 {
		t.Errorf("%d dead letters; an outage within retry_for must not dead-letter", dead)
	}
}

// A dealer number the CRM has no partner account for is rejected.
func TestDealerClaimRejectedByTheCRM(t *testing.T) {
	s := startClaimsStack(t, nil)
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: "dealer-0001", FamilyName: "Example",
		Custom: map[string]any{"declared_role": "dealer", "dealer_number": sfake.DemoDealerNumber}})
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: "dealer-0002", FamilyName: "Example",
		Custom: map[string]any{"declared_role": "dealer", "dealer_number": "D-9999' OR Name != '"}})
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", "dealer-0001")
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", "dealer-0002")
	eventually(t, "both decided", func() bool {
		return cidaasCustom(s, "dealer-0001")["dealer_status"] != nil && cidaasCustom(s, "dealer-0002")["dealer_status"] != nil
	})
	if c := cidaasCustom(s, "dealer-0001"); c["dealer_status"] != "verified" || c["dealer_segment"] != sfake.DemoAccountSegment {
		t.Errorf("the partner: %v", c)
	}
	if c := cidaasCustom(s, "dealer-0002"); c["dealer_status"] != "rejected" {
		t.Errorf("an unknown dealer number (with a quote): %v", c)
	}
}

const approvalRule = `version: 1
claim: vet
declared: {from: custom.declared_role, equals: veterinarian}
evidence:
  licence: custom.licence
authorities:
  - kind: manual
    settings: {approvers: [team-vet-review], expires_after: 72h}
write_back:
  status: vet_status
`

// A manual approval: pending until an approver follows the signed link;
// the link serves a page on GET (no decision), decides once on POST, and
// is refused when reused or forged.
func TestManualApprovalThroughTheSignedLink(t *testing.T) {
	fsys := fstest.MapFS{"claims/vet.yaml": {Data: []byte(approvalRule)}}
	for _, name := range []string{"salesforce.yaml"} {
		b, err := mappings.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	s := startClaimsStack(t, fsys)
	const sub = "vet-0001"
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: sub, FamilyName: "Example", Custom: map[string]any{"declared_role": "veterinarian", "licence": "VET-42"}})
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", sub)
	eventually(t, "pending", func() bool { return cidaasCustom(s, sub)["vet_status"] == "pending" })
	pending, err := s.Claims.PendingApprovals(context.Background())
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending approvals = %v, %v", pending, err)
	}
	a := pending[0]
	links := devLinks(t, s)
	yes, no, _, err := links.NewUntil(a.ID, "team-vet-review", a.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // a mail scanner's prefetch decides nothing
		if st, page := get(t, yes); st != 200 || !strings.Contains(page, "VET-42") {
			t.Fatalf("GET the link: %d", st)
		}
	}
	if d := latest(t, s, sub, "vet"); d.Verdict != claims.Pending {
		t.Fatalf("GET decided: %+v", d)
	}
	if st, _ := post(t, yes, nil, ""); st != 200 {
		t.Fatalf("POST approve: %d", st)
	}
	eventually(t, "verified", func() bool { return cidaasCustom(s, sub)["vet_status"] == "verified" })
	if d := latest(t, s, sub, "vet"); d.Verdict != claims.Verified || d.DecidedBy != "approver:team-vet-review" {
		t.Errorf("decision = %+v", d)
	}
	if st, _ := post(t, no, nil, ""); st != http.StatusConflict {
		t.Errorf("the other link after the decision: %d, want 409", st)
	}
	if st, _ := post(t, yes, nil, ""); st != http.StatusConflict {
		t.Errorf("the same link again: %d, want 409", st)
	}
	forged := yes[:len(yes)-2] + "AA"
	if st, _ := post(t, forged, nil, ""); st != http.StatusNotFound {
		t.Errorf("a forged link: %d, want 404", st)
	}
	expired := approval.Links{Key: links.Key, BaseURL: links.BaseURL, TTL: time.Hour,
		Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }}
	old, _, _, _ := expired.New(a.ID, "team-vet-review")
	if st, _ := post(t, old, nil, ""); st != http.StatusGone {
		t.Errorf("an expired link: %d, want 410", st)
	}
}

// devLinks are the local stack's approval links (the dev secret's key).
func devLinks(t *testing.T, s *Stack) approval.Links {
	t.Helper()
	key, err := base64Std(sandbox.DevApprovalLinkKey)
	if err != nil {
		t.Fatal(err)
	}
	return approval.Links{Key: key, BaseURL: s.URL, TTL: 72 * time.Hour}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// POST /claims/verify answers within the hook budget, authenticated.
func TestClaimsAPIOnTheLocalStack(t *testing.T) {
	s := startClaimsStack(t, nil)
	body := `{"profile": {"sub": "api-0001", "given_name": "` + npi.DemoFirstName + `", "family_name": "` + npi.DemoLastName +
		`", "address": {"region": "` + npi.DemoState + `"}, "custom": {"declared_role": "health_care_professional", "npi": "` + npi.DemoActiveNPI + `"}}, "write_back": false}`
	if st, _ := post(t, s.URL+claims.VerifyPath, map[string]string{"X-API-Key": "wrong-key-wrong-key"}, body); st != http.StatusUnauthorized {
		t.Errorf("a wrong key: %d", st)
	}
	st, out := post(t, s.URL+claims.VerifyPath, map[string]string{"X-API-Key": sandbox.DevClaimsAPIKey, "Content-Type": "application/json"}, body)
	if st != 200 || !strings.Contains(out, `"verdict":"verified"`) || !strings.Contains(out, `"rule":"hcp"`) {
		t.Fatalf("verify: %d %s", st, out)
	}
	if len(s.Sandbox.Cidaas.Updates()) != 0 {
		t.Error("write_back false wrote back")
	}
}

const enrichRule = `version: 1
claim: company
declared: {from: email}
evidence:
  domain: {expr: 'lower(split(email, "@")[1])'}
authorities:
  - kind: hubspot
    secret: hubspot
    settings:
      filters: {domain: "{domain}"}
      attributes: {company: name, dealer: dealer_number}
write_back:
  attributes:
    company_name: company
    company_dealer_number: dealer
`

// Enrichment: a rule with no status looks the profile's company up in the
// CRM (HubSpot, by the e-mail's domain) and writes what it found, only
// when it differs; a profile whose domain the CRM does not know is left
// alone.
func TestEnrichmentFromTheCRM(t *testing.T) {
	fsys := fstest.MapFS{"claims/company.yaml": {Data: []byte(enrichRule)}}
	b, _ := mappings.FS.ReadFile("salesforce.yaml")
	fsys["salesforce.yaml"] = &fstest.MapFile{Data: b}
	s := startClaimsStack(t, fsys)
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: "buyer-1", FamilyName: "Example", Email: "Buyer@Example-Dealer.test", EmailVerified: true})
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", "buyer-1")
	cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", janeSub)
	eventually(t, "enriched", func() bool { return cidaasCustom(s, "buyer-1")["company_name"] != nil })
	eventually(t, "the echo handled", func() bool { return claimsIdle(t, s) && latest(t, s, janeSub, "company") != nil })
	c := cidaasCustom(s, "buyer-1")
	if c["company_name"] != "Example Dealer GmbH" || c["company_dealer_number"] != sfake.DemoDealerNumber || c["company_status"] != nil {
		t.Errorf("enriched profile = %v", c)
	}
	if c := cidaasCustom(s, janeSub); c["company_name"] != nil {
		t.Errorf("Jane (a domain the CRM does not know) = %v", c)
	}
	if n := len(s.Sandbox.Cidaas.Updates()); n != 1 {
		t.Errorf("%d write-backs, want 1 (Jane's has nothing to write; the echo differs in nothing)", n)
	}
	if n := s.Sandbox.HubSpot.Searches(); n != 2 {
		t.Errorf("%d CRM searches, want 2 (the echo is not looked up again)", n)
	}
}
