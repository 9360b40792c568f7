package npi_test

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
	"github.com/profilesync/profilesync/pkg/claims/authority/npi"
	"github.com/profilesync/profilesync/pkg/egress"
	fake "github.com/profilesync/profilesync/pkg/sandbox/npi"
	"github.com/profilesync/profilesync/pkg/spec"
)

func client() *http.Client { return egress.Client(egress.Local, 5*time.Second) }

// build returns an authority against h with settings plus base_url.
func build(t *testing.T, h http.Handler, settings map[string]any) *npi.Authority {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := map[string]any{"base_url": srv.URL + "/api/"}
	for k, v := range settings {
		s[k] = v
	}
	a, err := npi.Build("hcp-registry", s, nil, client())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func demoEvidence() map[string]string {
	return map[string]string{"npi": fake.DemoActiveNPI, "first_name": fake.DemoFirstName, "last_name": fake.DemoLastName, "state": fake.DemoState}
}

func TestVerifiesAnActiveLicensedPhysician(t *testing.T) {
	f := fake.NewFake()
	a := build(t, f, map[string]any{"taxonomies": []any{"family medicine"}, "licence_state": true})
	ev := demoEvidence()
	ev["first_name"] = "ádá"             // accents and case
	ev["last_name"] = "lovelace example" // a space for the hyphen
	ev["npi"] = fake.DemoActiveNPI[:4] + " " + fake.DemoActiveNPI[4:]
	got, err := a.Check(context.Background(), claims.Request{Claim: "hcp", Evidence: ev})
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != claims.Verified || got.Reference != fake.DemoActiveNPI {
		t.Fatalf("got %+v, want verified with the NPI as reference", got)
	}
	want := map[string]any{"credential": fake.DemoCredential, "taxonomy_code": fake.DemoTaxonomyCode,
		"taxonomy_desc": fake.DemoTaxonomyDesc, "licence_state": fake.DemoState}
	for k, v := range want {
		if got.Attributes[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, got.Attributes[k], v)
		}
	}
	if len(got.Calls) != 1 || got.Calls[0].Status != 200 || !strings.Contains(got.Calls[0].URL, "version=2.1") {
		t.Errorf("calls = %+v", got.Calls)
	}
	if f.Calls() != 1 {
		t.Errorf("fake saw %d calls, want 1", f.Calls())
	}
}

func TestRejects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		evidence func(map[string]string)
		reason   string
		calls    int
	}{
		{"no npi", nil, func(e map[string]string) { delete(e, "npi") }, npi.ReasonMissing, 0},
		{"bad check digit", nil, func(e map[string]string) { e["npi"] = "1999000016" }, npi.ReasonBadNumber, 0},
		{"not digits", nil, func(e map[string]string) { e["npi"] = "199900001X" }, npi.ReasonBadNumber, 0},
		{"unknown", nil, func(e map[string]string) { e["npi"] = fake.DemoUnknownNPI }, npi.ReasonUnknown, 1},
		{"inactive", nil, func(e map[string]string) {
			e["npi"], e["first_name"], e["last_name"] = fake.DemoInactiveNPI, "Alex", "Example"
		}, npi.ReasonNotActive, 1},
		{"an organisation", map[string]any{"match_name": false}, func(e map[string]string) { e["npi"] = fake.DemoOrganizationNPI }, npi.ReasonType, 1},
		{"last name", nil, func(e map[string]string) { e["last_name"] = "Lovelace" }, npi.ReasonName, 1},
		{"first name", nil, func(e map[string]string) { e["first_name"] = "Eda" }, npi.ReasonName, 1},
		{"no names", nil, func(e map[string]string) { delete(e, "first_name"); delete(e, "last_name") }, npi.ReasonName, 1},
		{"taxonomy", map[string]any{"taxonomies": []any{"163W00000X", "Nurse"}}, func(map[string]string) {}, npi.ReasonTaxonomy, 1},
		{"state", map[string]any{"licence_state": true}, func(e map[string]string) { e["state"] = "NY" }, npi.ReasonState, 1},
		{"no state", map[string]any{"licence_state": true}, func(e map[string]string) { delete(e, "state") }, npi.ReasonState, 1},
		// Licensed in NV, but as Internal Medicine, not the rule's taxonomy.
		{"state of another taxonomy", map[string]any{"licence_state": true, "taxonomies": []any{fake.DemoTaxonomyCode}},
			func(e map[string]string) { e["state"] = "NV" }, npi.ReasonState, 1},
		{"no licence number", map[string]any{"licence_state": true},
			func(e map[string]string) {
				e["npi"], e["first_name"], e["last_name"], e["state"] = fake.DemoNurseNPI, "Sam", "Example", "NY"
			}, npi.ReasonState, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake.NewFake()
			a := build(t, f, tc.settings)
			ev := demoEvidence()
			tc.evidence(ev)
			got, err := a.Check(context.Background(), claims.Request{Evidence: ev})
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != claims.Rejected || got.Reason != tc.reason {
				t.Fatalf("got %s %q, want rejected %q", got.Verdict, got.Reason, tc.reason)
			}
			if f.Calls() != tc.calls {
				t.Fatalf("fake saw %d calls, want %d", f.Calls(), tc.calls)
			}
			for _, v := range ev {
				if v != "" && strings.Contains(got.Reason, v) {
					t.Fatalf("reason %q quotes evidence", got.Reason)
				}
			}
		})
	}
}

func TestOutagesAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(*fake.Fake)
	}{
		{"throttled", func(f *fake.Fake) { f.ThrottleNext(1, 30*time.Second) }},
		{"503", func(f *fake.Fake) { f.FailNext(1, http.StatusServiceUnavailable) }},
		{"500", func(f *fake.Fake) { f.FailNext(1, http.StatusInternalServerError) }},
		{"502", func(f *fake.Fake) { f.FailNext(1, http.StatusBadGateway) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake.NewFake()
			a := build(t, f, nil)
			tc.fail(f)
			got, err := a.Check(context.Background(), claims.Request{Evidence: demoEvidence()})
			if !errors.Is(err, claims.ErrUnavailable) || errors.Is(err, claims.ErrMisconfigured) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if got.Verdict == claims.Rejected || got.Verdict == claims.Verified {
				t.Fatalf("verdict %s on an outage", got.Verdict)
			}
			if len(got.Calls) != 1 {
				t.Fatalf("calls = %+v, want the failed one for a dry run", got.Calls)
			}
			// The next call gets through: the failure was the fake's, once.
			if got, err := a.Check(context.Background(), claims.Request{Evidence: demoEvidence()}); err != nil || got.Verdict != claims.Verified {
				t.Fatalf("after the outage: %+v, %v", got, err)
			}
		})
	}
}

// An organisation rule (NPI-2) has no names to match, whatever match_name says.
func TestVerifiesAnOrganisation(t *testing.T) {
	a := build(t, fake.NewFake(), map[string]any{"enumeration_type": "NPI-2"})
	got, err := a.Check(context.Background(), claims.Request{Evidence: map[string]string{"npi": fake.DemoOrganizationNPI}})
	if err != nil || got.Verdict != claims.Verified || got.Reference != fake.DemoOrganizationNPI {
		t.Fatalf("got %+v, %v", got, err)
	}
	got, err = a.Check(context.Background(), claims.Request{Evidence: demoEvidence()})
	if err != nil || got.Reason != npi.ReasonType {
		t.Fatalf("a person under an NPI-2 rule: %+v, %v", got, err)
	}
}

// A registry that does not answer before the caller's deadline is down.
func TestDeadlineIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	a := build(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Check(ctx, claims.Request{Evidence: demoEvidence()})
	if !errors.Is(err, claims.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), fake.DemoActiveNPI) {
		t.Fatalf("error %q quotes the NPI", err)
	}
}

func TestMisconfigured(t *testing.T) {
	answer := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		})
	}
	malformed := fake.NewFake()
	malformed.MalformNext(1)
	for name, h := range map[string]http.Handler{
		"html with 200":        malformed,
		"no result_count":      answer(200, `{"results": []}`),
		"errors about version": answer(200, `{"Errors":[{"description":"No API Version specified in request.","field":"version","number":"10"}]}`),
		"404":                  answer(404, `not found`),
		"401":                  answer(401, `{}`),
		"truncated json":       answer(200, `{"result_count": 1, "results": [{"number": "1999`),
	} {
		t.Run(name, func(t *testing.T) {
			a := build(t, h, nil)
			_, err := a.Check(context.Background(), claims.Request{Evidence: demoEvidence()})
			if !errors.Is(err, claims.ErrMisconfigured) || errors.Is(err, claims.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrMisconfigured", err)
			}
		})
	}
}

// The registry's Errors answer about the number itself is about the
// evidence: a rejection, not an alarm.
func TestErrorsAboutTheNumberReject(t *testing.T) {
	a := build(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"Errors":[{"description":"Field number requires 10 numeric digits.","field":"number","number":"01"}]}`))
	}), nil)
	got, err := a.Check(context.Background(), claims.Request{Evidence: demoEvidence()})
	if err != nil || got.Verdict != claims.Rejected || got.Reason != npi.ReasonInvalidInput {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// The fake answers a request without a version as the registry does, and
// this authority always sends one.
func TestFakeRefusesAMissingVersion(t *testing.T) {
	srv := httptest.NewServer(fake.NewFake())
	defer srv.Close()
	resp, err := client().Get(srv.URL + "/api/?number=" + fake.DemoActiveNPI)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(buf.String(), `"field":"version"`) {
		t.Fatalf("status %d body %s", resp.StatusCode, buf)
	}
}

func TestSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		settings map[string]any
		field    string
	}{
		"unknown key":      {map[string]any{"taxonomy": "x"}, "taxonomy"},
		"enumeration type": {map[string]any{"enumeration_type": "NPI-3"}, "enumeration_type"},
		"relative url":     {map[string]any{"base_url": "/api/"}, "base_url"},
		"empty taxonomy":   {map[string]any{"taxonomies": []any{" "}}, "taxonomies[0]"},
		"match_name type":  {map[string]any{"match_name": "yes"}, "match_name"},
	} {
		t.Run(name, func(t *testing.T) {
			err := npi.CheckSettings(tc.settings)
			var se *spec.Error
			if !errors.As(err, &se) || se.Path.String() != tc.field {
				t.Fatalf("err = %v, want a spec.Error at %s", err, tc.field)
			}
		})
	}
	if err := npi.CheckSettings(nil); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	// Production refuses plain http: a load error, not a call-time one.
	if _, err := npi.Build("x", map[string]any{"base_url": "http://registry.example/api/"}, nil, egress.Client(egress.Production, time.Second)); err == nil {
		t.Fatal("Build accepted an http base_url in production")
	}
}
