package salesforce

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

const dealerQuery = "SELECT Id, Dealer_Number__c, Segment__c FROM Account WHERE Dealer_Number__c = {dealer_number} AND IsPartner = true LIMIT 2"

func secretFor(url, clientSecret string) []byte {
	return []byte(`{"login_url":"` + url + `","client_id":"cid","client_secret":"` + clientSecret + `"}`)
}

func localClient() *http.Client { return egress.Client(egress.Local, 5*time.Second) }

// newAuthority builds the authority with settings (query defaulted) from
// the registry's inputs against a fresh fake org.
func newAuthority(t *testing.T, settings map[string]any) (*Authority, *sfsandbox.Fake) {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return build(t, settings, secretFor(srv.URL, "csecret")), fake
}

func build(t *testing.T, settings map[string]any, secret []byte) *Authority {
	t.Helper()
	if settings == nil {
		settings = map[string]any{}
	}
	if _, ok := settings["query"]; !ok {
		settings["query"] = dealerQuery
	}
	a, err := Build("dealers", settings, secret, localClient())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func dealer(n string) claims.Request {
	return claims.Request{Claim: "dealer", Value: "true", Subject: "sub-1", Evidence: map[string]string{"dealer_number": n}}
}

func TestVerifiesTheDemoPartner(t *testing.T) {
	a, fake := newAuthority(t, map[string]any{
		"query":      strings.Replace(dealerQuery, "Segment__c", "Segment__c, Nope__c", 1),
		"attributes": map[string]any{"segment": "Segment__c", "dealer": "Dealer_Number__c", "absent": "Nope__c"},
	})
	id := fake.SeedDemoAccounts()
	ans, err := a.Check(context.Background(), dealer(sfsandbox.DemoDealerNumber))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Verdict != claims.Verified || ans.Reference != id {
		t.Fatalf("answer = %+v, want verified with reference %s", ans, id)
	}
	if ans.Attributes["segment"] != sfsandbox.DemoAccountSegment || ans.Attributes["dealer"] != sfsandbox.DemoDealerNumber || len(ans.Attributes) != 2 {
		t.Errorf("attributes = %v", ans.Attributes)
	}
	if len(ans.Calls) != 1 || ans.Calls[0].Status != 200 || !strings.Contains(ans.Calls[0].URL, "'D-1001'") {
		t.Errorf("calls = %+v", ans.Calls)
	}
}

func TestRejections(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		seed     func(*sfsandbox.Fake)
		req      claims.Request
		verdict  claims.Verdict
		reason   string
	}{
		{"no match", nil, func(f *sfsandbox.Fake) { f.SeedDemoAccounts() }, dealer("D-9999"), claims.Rejected, ReasonNoMatch},
		{"not a partner", nil, func(f *sfsandbox.Fake) {
			f.Put("Account", map[string]any{"Name": "x", "IsPartner": false, "Dealer_Number__c": "D-1"})
		}, dealer("D-1"), claims.Rejected, ReasonNoMatch},
		{"ambiguous", nil, func(f *sfsandbox.Fake) {
			f.SeedDemoAccounts()
			f.Put("Account", map[string]any{"Name": "twin", "IsPartner": true, "Dealer_Number__c": sfsandbox.DemoDealerNumber})
		}, dealer(sfsandbox.DemoDealerNumber), claims.Rejected, ReasonAmbiguous},
		{"any accepts several", map[string]any{"verified_when": "any"}, func(f *sfsandbox.Fake) {
			f.SeedDemoAccounts()
			f.Put("Account", map[string]any{"Name": "twin", "IsPartner": true, "Dealer_Number__c": sfsandbox.DemoDealerNumber})
		}, dealer(sfsandbox.DemoDealerNumber), claims.Verified, ReasonVerified},
		{"missing evidence", nil, func(f *sfsandbox.Fake) { f.SeedDemoAccounts() },
			claims.Request{Claim: "dealer", Evidence: map[string]string{}}, claims.Rejected, ReasonMissing},
		// The quote cannot end the literal: the value is looked up whole,
		// and finds nothing, although "OR IsPartner = true" would match.
		{"injection", nil, func(f *sfsandbox.Fake) { f.SeedDemoAccounts() },
			dealer(`x' OR IsPartner = true OR Name = '`), claims.Rejected, ReasonNoMatch},
		{"backslash injection", nil, func(f *sfsandbox.Fake) { f.SeedDemoAccounts() },
			dealer(`x\' OR IsPartner = true OR Name = \`), claims.Rejected, ReasonNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newAuthority(t, tt.settings)
			tt.seed(fake)
			ans, err := a.Check(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Verdict != tt.verdict || ans.Reason != tt.reason {
				t.Fatalf("answer = %+v, want %s %q", ans, tt.verdict, tt.reason)
			}
		})
	}
}

func TestFailuresAreNotRejections(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*sfsandbox.Fake)
		want  error
	}{
		{"throttled", func(f *sfsandbox.Fake) { f.ThrottleNext(1) }, claims.ErrUnavailable},
		{"server unavailable", func(f *sfsandbox.Fake) { f.FailNext(1, 503, "SERVER_UNAVAILABLE") }, claims.ErrUnavailable},
		{"query refused by the org", func(f *sfsandbox.Fake) { f.SetSchema("Account", "Name") }, claims.ErrMisconfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newAuthority(t, nil)
			fake.SeedDemoAccounts()
			tt.setup(fake)
			ans, err := a.Check(context.Background(), dealer(sfsandbox.DemoDealerNumber))
			if !errors.Is(err, tt.want) || ans.Verdict != "" {
				t.Fatalf("answer %+v, err %v, want %v", ans, err, tt.want)
			}
			if strings.Contains(err.Error(), sfsandbox.DemoDealerNumber) {
				t.Errorf("error quotes the evidence: %v", err)
			}
		})
	}
}

func TestRefusedCredentialsAreMisconfigured(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	a := build(t, nil, secretFor(srv.URL, "wrong"))
	_, err := a.Check(context.Background(), dealer("D-1"))
	if !errors.Is(err, claims.ErrMisconfigured) {
		t.Fatalf("err = %v, want ErrMisconfigured", err)
	}
}

func TestOrgDownIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a := build(t, nil, secretFor(url, "csecret"))
	_, err := a.Check(context.Background(), dealer("D-1"))
	if !errors.Is(err, claims.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestMalformedAnswerIsMisconfigured(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	mux := http.NewServeMux()
	mux.Handle("/services/oauth2/token", fake)
	mux.HandleFunc("/services/data/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"records": "not a list"}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a := build(t, nil, secretFor(srv.URL, "csecret"))
	_, err := a.Check(context.Background(), dealer("D-1"))
	if !errors.Is(err, claims.ErrMisconfigured) {
		t.Fatalf("err = %v, want ErrMisconfigured", err)
	}
}

func TestCheckSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		field    string // "" when valid
	}{
		{"valid", map[string]any{"query": "SELECT Id, owner.name FROM Account WHERE Dealer_Number__c = {d}", "attributes": map[string]any{"owner": "Owner.Name"}}, ""},
		{"no query", map[string]any{}, "query"},
		{"placeholder in quotes", map[string]any{"query": "SELECT Id FROM Account WHERE Dealer_Number__c = '{dealer_number}'"}, "query"},
		{"placeholder after an escaped quote", map[string]any{"query": `SELECT Id FROM Account WHERE Name = 'a\'{x}'`}, "query"},
		{"no placeholder", map[string]any{"query": "SELECT Id FROM Account WHERE IsPartner = true"}, "query"},
		{"unterminated literal", map[string]any{"query": "SELECT Id FROM Account WHERE Name = 'x AND Id = {x}"}, "query"},
		{"not a select", map[string]any{"query": "DELETE FROM Account WHERE Id = {x}"}, "query"},
		{"bad verified_when", map[string]any{"query": dealerQuery, "verified_when": "two"}, "verified_when"},
		{"bad reference", map[string]any{"query": dealerQuery, "reference": "Id; DROP"}, "reference"},
		{"bad attribute field", map[string]any{"query": dealerQuery, "attributes": map[string]any{"x": "a b"}}, "attributes.x"},
		{"bad api_version", map[string]any{"query": dealerQuery, "api_version": "62"}, "api_version"},
		{"attribute not selected", map[string]any{"query": dealerQuery, "attributes": map[string]any{"name": "Name"}}, "attributes.name"},
		{"reference not selected", map[string]any{"query": "SELECT Name FROM Account WHERE Dealer_Number__c = {d}"}, "reference"},
		{"select list with a function is not checked", map[string]any{"query": "SELECT COUNT() FROM Account WHERE Dealer_Number__c = {d}", "reference": "Name"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSettings(tt.settings)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `"`+tt.field+`"`) {
				t.Fatalf("err = %v, want one naming %q", err, tt.field)
			}
		})
	}
}
