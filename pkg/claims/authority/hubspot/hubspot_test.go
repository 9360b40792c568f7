package hubspot

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
	hssandbox "github.com/profilesync/profilesync/pkg/sandbox/hubspot"
)

const token = "pat-test"

func secretFor(url, tok string) []byte {
	return []byte(`{"access_token":"` + tok + `","base_url":"` + url + `"}`)
}

func build(t *testing.T, settings map[string]any, secret []byte) *Authority {
	t.Helper()
	if settings == nil {
		settings = map[string]any{}
	}
	if _, ok := settings["filters"]; !ok {
		settings["filters"] = map[string]any{"domain": "{email_domain}"}
	}
	a, err := Build("partners", settings, secret, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newAuthority(t *testing.T, settings map[string]any) (*Authority, *hssandbox.Fake) {
	t.Helper()
	fake := hssandbox.NewFake(token)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return build(t, settings, secretFor(srv.URL, token)), fake
}

func domain(d string) claims.Request {
	return claims.Request{Claim: "partner", Value: "true", Subject: "sub-1", Evidence: map[string]string{"email_domain": d}}
}

func TestVerifiesTheDemoCompany(t *testing.T) {
	a, fake := newAuthority(t, map[string]any{"attributes": map[string]any{"dealer": "dealer_number", "tier": "tier"}})
	id := fake.SeedDemoCompany()
	fake.PutObject("companies", map[string]string{"domain": "other.test"})
	ans, err := a.Check(context.Background(), domain(hssandbox.DemoCompanyDomain))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Verdict != claims.Verified || ans.Reference != id || ans.Attributes["dealer"] != hssandbox.DemoDealerNumber || len(ans.Attributes) != 1 {
		t.Fatalf("answer = %+v", ans)
	}
	if len(ans.Calls) != 1 || !strings.Contains(ans.Calls[0].URL, `domain EQ "example-dealer.test"`) {
		t.Errorf("calls = %+v", ans.Calls)
	}
}

func TestRejections(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		seed     func(*hssandbox.Fake)
		req      claims.Request
		verdict  claims.Verdict
		reason   string
		ref      string
	}{
		{"no match", nil, func(f *hssandbox.Fake) { f.SeedDemoCompany() }, domain("nobody.test"), claims.Rejected, ReasonNoMatch, ""},
		{"literal filter not met", map[string]any{"filters": map[string]any{"domain": "{email_domain}", "type": "PARTNER"}},
			func(f *hssandbox.Fake) { f.SeedDemoCompany() }, domain(hssandbox.DemoCompanyDomain), claims.Rejected, ReasonNoMatch, ""},
		{"literal filter met", map[string]any{"filters": map[string]any{"domain": "{email_domain}", "type": "PARTNER"}, "reference": "dealer_number"},
			func(f *hssandbox.Fake) {
				f.PutObject("companies", map[string]string{"domain": "p.test", "type": "PARTNER", "dealer_number": "D-7"})
			}, domain("p.test"), claims.Verified, ReasonVerified, "D-7"},
		{"ambiguous", nil, func(f *hssandbox.Fake) {
			f.SeedDemoCompany()
			f.PutObject("companies", map[string]string{"domain": hssandbox.DemoCompanyDomain})
		}, domain(hssandbox.DemoCompanyDomain), claims.Rejected, ReasonAmbiguous, ""},
		{"any accepts several", map[string]any{"verified_when": "any"}, func(f *hssandbox.Fake) {
			f.SeedDemoCompany()
			f.PutObject("companies", map[string]string{"domain": hssandbox.DemoCompanyDomain})
		}, domain(hssandbox.DemoCompanyDomain), claims.Verified, ReasonVerified, ""},
		{"missing evidence", nil, func(f *hssandbox.Fake) { f.SeedDemoCompany() },
			claims.Request{Evidence: map[string]string{"email_domain": ""}}, claims.Rejected, ReasonMissing, ""},
		{"contacts", map[string]any{"object_type": "contacts", "filters": map[string]any{"partner_id": "{partner_id}"}},
			func(f *hssandbox.Fake) {
				f.PutObject("contacts", map[string]string{"partner_id": "P-1"})
			}, claims.Request{Evidence: map[string]string{"partner_id": "P-1"}}, claims.Verified, ReasonVerified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newAuthority(t, tt.settings)
			tt.seed(fake)
			ans, err := a.Check(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Verdict != tt.verdict || ans.Reason != tt.reason || (tt.ref != "" && ans.Reference != tt.ref) {
				t.Fatalf("answer = %+v, want %s %q %q", ans, tt.verdict, tt.reason, tt.ref)
			}
		})
	}
}

func TestFailuresAreNotRejections(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*hssandbox.Fake)
		want  error
	}{
		{"throttled", func(f *hssandbox.Fake) { f.ThrottleNext(1, time.Second) }, claims.ErrUnavailable},
		{"daily quota", func(f *hssandbox.Fake) { f.ExhaustDaily(1) }, claims.ErrUnavailable},
		{"server error", func(f *hssandbox.Fake) { f.FailNext(1, 500) }, claims.ErrUnavailable},
		{"token rotated", func(f *hssandbox.Fake) { f.RotateToken("pat-new") }, claims.ErrMisconfigured},
		{"missing scopes", func(f *hssandbox.Fake) { f.FailNext(1, 403) }, claims.ErrMisconfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newAuthority(t, nil)
			fake.SeedDemoCompany()
			tt.setup(fake)
			ans, err := a.Check(context.Background(), domain(hssandbox.DemoCompanyDomain))
			if !errors.Is(err, tt.want) || ans.Verdict != "" {
				t.Fatalf("answer %+v, err %v, want %v", ans, err, tt.want)
			}
			if strings.Contains(err.Error(), hssandbox.DemoCompanyDomain) {
				t.Errorf("error quotes the evidence: %v", err)
			}
		})
	}
}

func TestPortalDownIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a := build(t, nil, secretFor(url, token))
	if _, err := a.Check(context.Background(), domain("x.test")); !errors.Is(err, claims.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestMalformedAnswerIsMisconfigured(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"results":[{"id":1}]}`))
	}))
	t.Cleanup(srv.Close)
	a := build(t, nil, secretFor(srv.URL, token))
	if _, err := a.Check(context.Background(), domain("x.test")); !errors.Is(err, claims.ErrMisconfigured) {
		t.Fatalf("err = %v, want ErrMisconfigured", err)
	}
}

func TestCheckSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		field    string
	}{
		{"valid", map[string]any{"filters": map[string]any{"domain": "{email_domain}", "type": "PARTNER"}, "attributes": map[string]any{"n": "dealer_number"}}, ""},
		{"no filters", map[string]any{}, "filters"},
		{"no placeholder", map[string]any{"filters": map[string]any{"type": "PARTNER"}}, "filters"},
		{"bad property", map[string]any{"filters": map[string]any{"Domain Name": "{d}"}}, "filters.Domain Name"},
		{"bad object type", map[string]any{"filters": map[string]any{"domain": "{d}"}, "object_type": "../contacts"}, "object_type"},
		{"bad attribute", map[string]any{"filters": map[string]any{"domain": "{d}"}, "attributes": map[string]any{"x": "Not OK"}}, "attributes.x"},
		{"bad reference", map[string]any{"filters": map[string]any{"domain": "{d}"}, "reference": "ID!"}, "reference"},
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
