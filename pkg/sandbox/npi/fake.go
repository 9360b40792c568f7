// Package npi is a fake of the US NPI registry's public API (NPPES, API
// version 2.1) as the npi claim authority calls it: GET /api/?version=2.1&
// number=… answers {"result_count", "results": [...]} with the record's
// number, enumeration_type, basic and taxonomies blocks, result_count 0
// for an unknown number, and the registry's {"Errors": [{"description",
// "field", "number"}]} answer (HTTP 200, as the registry sends it) for a
// missing or unsupported version or a malformed number.
//
// It holds a few fictional providers (the Demo constants) for tests and
// for the local stack's end-to-end sample, counts its calls and injects
// throttling, outages and malformed answers. Paths are relative to its
// root; mount it with http.StripPrefix. It imports nothing of pkg/claims.
package npi

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// The seeded providers. Every name is fictional and every number made up
// (chosen to pass the NPI check digit, not looked up anywhere).
const (
	// DemoActiveNPI is an active physician (Family Medicine, 207Q00000X)
	// licensed in DemoState.
	DemoActiveNPI    = "1999000015"
	DemoFirstName    = "Ada"
	DemoLastName     = "Lovelace-Example"
	DemoState        = "CA"
	DemoCredential   = "M.D."
	DemoTaxonomyCode = "207Q00000X"
	DemoTaxonomyDesc = "Family Medicine"
	DemoLicense      = "A-000001"
	// DemoInactiveNPI is a deactivated physician (status "D"): Alex Example.
	DemoInactiveNPI = "1999000023"
	// DemoNurseNPI is an active registered nurse (163W00000X) in NY
	// without a licence number on file: Sam Example.
	DemoNurseNPI = "1999000031"
	// DemoOrganizationNPI is an organisation (NPI-2).
	DemoOrganizationNPI = "2999000047"
	// DemoUnknownNPI passes the check digit but is not in the registry.
	DemoUnknownNPI = "1999000056"
)

// Version is the only API version the fake serves (CMS retired the others).
const Version = "2.1"

// Provider is one record, in the registry's JSON shape.
type Provider struct {
	Number          string     `json:"number"`
	EnumerationType string     `json:"enumeration_type"`
	Basic           Basic      `json:"basic"`
	Taxonomies      []Taxonomy `json:"taxonomies"`
}

// Basic is a record's basic block (an individual's fields; an
// organisation's name is in OrganizationName).
type Basic struct {
	FirstName        string `json:"first_name,omitempty"`
	LastName         string `json:"last_name,omitempty"`
	OrganizationName string `json:"organization_name,omitempty"`
	Credential       string `json:"credential,omitempty"`
	Status           string `json:"status"`
	EnumerationDate  string `json:"enumeration_date,omitempty"`
	LastUpdated      string `json:"last_updated,omitempty"`
}

// Taxonomy is one speciality with its licence.
type Taxonomy struct {
	Code    string `json:"code"`
	Desc    string `json:"desc"`
	Primary bool   `json:"primary"`
	State   string `json:"state"`
	License string `json:"license"`
}

// failure is one injected answer instead of the record.
type failure struct {
	status     int
	retryAfter time.Duration
	malformed  bool // 200 with an HTML page
}

// Fake is an in-memory registry; safe for concurrent use.
type Fake struct {
	mu        sync.Mutex
	providers map[string]Provider
	failures  fakekit.Injector[failure]
	calls     fakekit.Counter
}

// NewFake returns a registry holding the Demo providers.
func NewFake() *Fake {
	f := &Fake{providers: map[string]Provider{}}
	for _, p := range demoProviders() {
		f.Put(p)
	}
	return f
}

func demoProviders() []Provider {
	return []Provider{
		{Number: DemoActiveNPI, EnumerationType: "NPI-1",
			Basic: Basic{FirstName: strings.ToUpper(DemoFirstName), LastName: strings.ToUpper(DemoLastName), Credential: DemoCredential,
				Status: "A", EnumerationDate: "2010-05-04", LastUpdated: "2026-01-12"},
			Taxonomies: []Taxonomy{
				{Code: DemoTaxonomyCode, Desc: DemoTaxonomyDesc, Primary: true, State: DemoState, License: DemoLicense},
				{Code: "207R00000X", Desc: "Internal Medicine", Primary: false, State: "NV", License: "NV-000001"},
			}},
		{Number: DemoInactiveNPI, EnumerationType: "NPI-1",
			Basic:      Basic{FirstName: "ALEX", LastName: "EXAMPLE", Credential: "MD", Status: "D", EnumerationDate: "2008-02-01"},
			Taxonomies: []Taxonomy{{Code: DemoTaxonomyCode, Desc: DemoTaxonomyDesc, Primary: true, State: "TX", License: "TX-000002"}}},
		{Number: DemoNurseNPI, EnumerationType: "NPI-1",
			Basic:      Basic{FirstName: "SAM", LastName: "EXAMPLE", Credential: "RN", Status: "A", EnumerationDate: "2015-09-30"},
			Taxonomies: []Taxonomy{{Code: "163W00000X", Desc: "Registered Nurse", Primary: true, State: "NY", License: ""}}},
		{Number: DemoOrganizationNPI, EnumerationType: "NPI-2",
			Basic:      Basic{OrganizationName: "EXAMPLE COMMUNITY CLINIC", Status: "A", EnumerationDate: "2012-03-15"},
			Taxonomies: []Taxonomy{{Code: "261QP2300X", Desc: "Clinic/Center, Primary Care", Primary: true, State: "CA", License: ""}}},
	}
}

// Put stores p (replacing the record with its number).
func (f *Fake) Put(p Provider) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.providers[p.Number] = p
}

// FailNext makes the next n lookups answer status (503, 500...) with an
// HTML error page, as the registry's front end does.
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, failure{status: status}) }

// ThrottleNext makes the next n lookups answer 429 with Retry-After.
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// MalformNext makes the next n lookups answer 200 with an HTML page
// instead of JSON.
func (f *Fake) MalformNext(n int) { f.failures.Add(n, failure{status: http.StatusOK, malformed: true}) }

// Calls is how many requests reached /api/, failed ones included.
func (f *Fake) Calls() int { return f.calls.Get("api") }

// ServeHTTP serves GET /api/ (and /api).
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/" && r.URL.Path != "/api" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f.calls.Inc("api")
	if f.failures.Answer(w, writeFailure) {
		return
	}
	q := r.URL.Query()
	switch v := q.Get("version"); {
	case v == "":
		writeErrors(w, "No API Version specified in request.", "version", "10")
		return
	case v != Version:
		writeErrors(w, "Unsupported Version", "version", "11")
		return
	}
	number := q.Get("number")
	if number == "" {
		writeErrors(w, "No valid search criteria were provided.", "N/A", "04")
		return
	}
	if len(number) != 10 || strings.Trim(number, "0123456789") != "" {
		writeErrors(w, "Field number requires 10 numeric digits.", "number", "01")
		return
	}
	f.mu.Lock()
	p, ok := f.providers[number]
	f.mu.Unlock()
	if !ok {
		fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"result_count": 0, "results": []any{}})
		return
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"result_count": 1, "results": []any{record(p)}})
}

// record is p as the registry lists it, with the blocks the fake does
// not model present and empty.
func record(p Provider) map[string]any {
	return map[string]any{
		"number": p.Number, "enumeration_type": p.EnumerationType, "basic": p.Basic, "taxonomies": p.Taxonomies,
		"addresses": []any{}, "practiceLocations": []any{}, "identifiers": []any{}, "other_names": []any{}, "endpoints": []any{},
	}
}

func writeErrors(w http.ResponseWriter, description, field, number string) {
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{
		"Errors": []map[string]string{{"description": description, "field": field, "number": number}},
	})
}

func writeFailure(w http.ResponseWriter, f failure) {
	fakekit.SetRetryAfter(w.Header(), f.retryAfter)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	if f.malformed {
		_, _ = w.Write([]byte("<html><body>Scheduled maintenance</body></html>"))
		return
	}
	_, _ = w.Write([]byte("<html><body>" + http.StatusText(f.status) + "</body></html>"))
}
