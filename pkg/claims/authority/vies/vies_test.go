package vies_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/vies"
	"github.com/profilesync/profilesync/pkg/egress"
	fake "github.com/profilesync/profilesync/pkg/sandbox/vies"
	"github.com/profilesync/profilesync/pkg/spec"
)

func build(t *testing.T, h http.Handler, settings map[string]any) *vies.Authority {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := map[string]any{"base_url": srv.URL + "/rest-api/"}
	for k, v := range settings {
		s[k] = v
	}
	a, err := vies.Build("eu-vat", s, nil, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func check(t *testing.T, a *vies.Authority, ev map[string]string) (claims.Answer, error) {
	t.Helper()
	return a.Check(context.Background(), claims.Request{Claim: "business", Evidence: ev})
}

func TestVerifies(t *testing.T) {
	f := fake.NewFake()
	requester := map[string]any{"requester_country": "DE", "requester_vat": "999999991"}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		evidence map[string]string
		ref      string // "" → a consultation number
		attrs    map[string]any
	}{
		{"DE without requester", nil, map[string]string{"vat_id": "de 999.999.991"}, "DE999999991",
			map[string]any{"country_code": "DE", "vat_number": "999999991"}},
		{"GR is EL", nil, map[string]string{"vat_id": "GR" + fake.DemoNumberEL}, "EL" + fake.DemoNumberEL,
			map[string]any{"name": fake.DemoNameEL, "country_code": "EL"}},
		{"bare number with country", nil, map[string]string{"vat_id": fake.DemoNumberEL, "country": "GR"}, "EL" + fake.DemoNumberEL, nil},
		{"consultation number", requester, map[string]string{"vat_id": fake.DemoCountryNL + fake.DemoNumberNL}, "",
			map[string]any{"name": fake.DemoNameNL, "address": fake.DemoAddressNL}},
		{"name matches", map[string]any{"match_name": true},
			map[string]string{"vat_id": fake.DemoCountryNL + fake.DemoNumberNL, "company_name": "Example Trading BV"}, "NL" + fake.DemoNumberNL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := build(t, f, tc.settings)
			got, err := check(t, a, tc.evidence)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != claims.Verified {
				t.Fatalf("got %+v", got)
			}
			if tc.ref != "" && got.Reference != tc.ref || tc.ref == "" && !strings.HasPrefix(got.Reference, "WAPI") {
				t.Fatalf("reference %q, want %q", got.Reference, tc.ref)
			}
			for k, v := range tc.attrs {
				if got.Attributes[k] != v {
					t.Errorf("attribute %s = %v, want %v", k, got.Attributes[k], v)
				}
			}
			if _, ok := got.Attributes["name"]; ok && tc.evidence["vat_id"] == "de 999.999.991" {
				t.Errorf("a withheld name (---) became an attribute")
			}
			if len(got.Calls) != 1 || got.Calls[0].Method != http.MethodPost || got.Calls[0].Status != 200 {
				t.Errorf("calls %+v", got.Calls)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		evidence map[string]string
		reason   string
		calls    int
	}{
		{"not registered", nil, map[string]string{"vat_id": "FR00999999999"}, vies.ReasonInvalid, 1},
		{"no vat_id", nil, map[string]string{"country": "DE"}, vies.ReasonMissing, 0},
		{"not a member state", nil, map[string]string{"vat_id": "US123456789"}, vies.ReasonInvalidInput, 0},
		{"garbage", nil, map[string]string{"vat_id": "DE 12345678!"}, vies.ReasonInvalidInput, 0},
		{"country disagrees", nil, map[string]string{"vat_id": "DE999999991", "country": "AT"}, vies.ReasonCountryMismatch, 0},
		{"name differs", map[string]any{"match_name": true},
			map[string]string{"vat_id": "NL" + fake.DemoNumberNL, "company_name": "Other Trading BV"}, vies.ReasonName, 1},
		{"name missing", map[string]any{"match_name": true}, map[string]string{"vat_id": "NL" + fake.DemoNumberNL}, vies.ReasonName, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake.NewFake()
			got, err := check(t, build(t, f, tc.settings), tc.evidence)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != claims.Rejected || got.Reason != tc.reason {
				t.Fatalf("got %s %q, want rejected %q", got.Verdict, got.Reason, tc.reason)
			}
			if f.Calls() != tc.calls {
				t.Fatalf("%d calls, want %d", f.Calls(), tc.calls)
			}
		})
	}
}

// VIES refusing the input itself (INVALID_INPUT, a 400) is a rejection.
func TestInvalidInputFromVIESRejects(t *testing.T) {
	f := fake.NewFake()
	f.ErrorNext(1, http.StatusBadRequest, "INVALID_INPUT")
	got, err := check(t, build(t, f, nil), map[string]string{"vat_id": "DE999999991"})
	if err != nil || got.Verdict != claims.Rejected || got.Reason != vies.ReasonInvalidInput {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// Germany withholds names: match_name cannot decide, so the answer is
// Pending, not a rejection.
func TestWithheldNameIsPending(t *testing.T) {
	got, err := check(t, build(t, fake.NewFake(), map[string]any{"match_name": true}),
		map[string]string{"vat_id": "DE999999991", "company_name": "Example GmbH"})
	if err != nil || got.Verdict != claims.Pending || got.Reason != vies.ReasonNameWithheld {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestOutagesAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(*fake.Fake)
	}{
		{"member state down", func(f *fake.Fake) { f.SetUnavailable("DE", true) }},
		{"throttled", func(f *fake.Fake) { f.ThrottleNext(1, time.Minute) }},
		{"503 page", func(f *fake.Fake) { f.FailNext(1, http.StatusServiceUnavailable) }},
		{"global concurrency", func(f *fake.Fake) { f.ErrorNext(1, http.StatusOK, "GLOBAL_MAX_CONCURRENT_REQ") }},
		{"member state concurrency", func(f *fake.Fake) { f.ErrorNext(1, http.StatusBadRequest, "MS_MAX_CONCURRENT_REQ") }},
		{"timeout code", func(f *fake.Fake) { f.ErrorNext(1, http.StatusInternalServerError, "TIMEOUT") }},
		{"service unavailable code", func(f *fake.Fake) { f.ErrorNext(1, http.StatusOK, "SERVICE_UNAVAILABLE") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake.NewFake()
			tc.fail(f)
			got, err := check(t, build(t, f, nil), map[string]string{"vat_id": "DE999999991"})
			if !errors.Is(err, claims.ErrUnavailable) || errors.Is(err, claims.ErrMisconfigured) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if got.Verdict == claims.Rejected || got.Verdict == claims.Verified {
				t.Fatalf("verdict %s on an outage", got.Verdict)
			}
		})
	}
	// Another member state is unaffected by Germany's outage.
	f := fake.NewFake()
	f.SetUnavailable("DE", true)
	if got, err := check(t, build(t, f, nil), map[string]string{"vat_id": "NL" + fake.DemoNumberNL}); err != nil || got.Verdict != claims.Verified {
		t.Fatalf("NL during a DE outage: %+v, %v", got, err)
	}
	f.SetUnavailable("DE", false)
	if got, err := check(t, build(t, f, nil), map[string]string{"vat_id": "DE999999991"}); err != nil || got.Verdict != claims.Verified {
		t.Fatalf("DE back: %+v, %v", got, err)
	}
}

// The classic shape: "valid": false beside a userError that is an outage
// must never read as invalid.
func TestUserErrorBesideValidFalse(t *testing.T) {
	for code, want := range map[string]error{"MS_UNAVAILABLE": claims.ErrUnavailable, "MS_MAX_CONCURRENT_REQ": claims.ErrUnavailable,
		"IP_BLOCKED": claims.ErrMisconfigured, "VAT_BLOCKED": claims.ErrMisconfigured, "SOMETHING_NEW": claims.ErrMisconfigured} {
		t.Run(code, func(t *testing.T) {
			a := build(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`{"valid": false, "userError": "` + code + `", "name": "---", "address": "---"}`))
			}), nil)
			got, err := check(t, a, map[string]string{"vat_id": "DE999999991"})
			if !errors.Is(err, want) || got.Verdict == claims.Rejected {
				t.Fatalf("got %+v, %v; want %v", got, err, want)
			}
		})
	}
	a := build(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"valid": false, "userError": "INVALID", "requestIdentifier": ""}`))
	}), nil)
	if got, err := check(t, a, map[string]string{"vat_id": "DE999999991"}); err != nil || got.Reason != vies.ReasonInvalid {
		t.Fatalf("userError INVALID: %+v, %v", got, err)
	}
}

func TestMisconfigured(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"html 200":              {200, "<html>maintenance</html>"},
		"no valid flag":         {200, `{"name": "x"}`},
		"404":                   {404, `{}`},
		"requester info":        {400, `{"actionSucceed": false, "errorWrappers": [{"error": "INVALID_REQUESTER_INFO"}]}`},
		"action failed no code": {200, `{"actionSucceed": false}`},
	} {
		t.Run(name, func(t *testing.T) {
			a := build(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}), nil)
			_, err := check(t, a, map[string]string{"vat_id": "DE999999991"})
			want := claims.ErrMisconfigured
			if name == "action failed no code" {
				want = claims.ErrUnavailable // read as SERVICE_UNAVAILABLE
			}
			if !errors.Is(err, want) {
				t.Fatalf("err = %v, want %v", err, want)
			}
		})
	}
}

// The request carries the requester, so VIES issues a consultation number.
func TestSendsTheRequester(t *testing.T) {
	var got string
	a := build(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		got = b.String()
		_, _ = w.Write([]byte(`{"valid": true, "requestIdentifier": "WAPIXYZ"}`))
	}), map[string]any{"requester_country": "GR", "requester_vat": "EL 999 999 992"})
	ans, err := check(t, a, map[string]string{"vat_id": "AT U99999999"})
	if err != nil || ans.Reference != "WAPIXYZ" {
		t.Fatalf("%+v, %v", ans, err)
	}
	want := `{"countryCode":"AT","vatNumber":"U99999999","requesterMemberStateCode":"EL","requesterNumber":"999999992"}`
	if got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
}

func TestSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		settings map[string]any
		field    string
	}{
		"unknown key":         {map[string]any{"requester": "x"}, "requester"},
		"requester half":      {map[string]any{"requester_country": "DE"}, "requester_vat"},
		"requester bad":       {map[string]any{"requester_country": "DE", "requester_vat": "!"}, "requester_vat"},
		"requester elsewhere": {map[string]any{"requester_country": "DE", "requester_vat": "FR00999999999"}, "requester_vat"},
		"relative base":       {map[string]any{"base_url": "rest-api"}, "base_url"},
	} {
		t.Run(name, func(t *testing.T) {
			var se *spec.Error
			if err := vies.CheckSettings(tc.settings); !errors.As(err, &se) || se.Path.String() != tc.field {
				t.Fatalf("err = %v, want one at %s", err, tc.field)
			}
		})
	}
	if err := vies.CheckSettings(map[string]any{}); err != nil {
		t.Fatal(err)
	}
}
