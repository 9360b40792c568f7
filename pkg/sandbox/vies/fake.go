// Package vies is a fake of the EU VIES REST API's VAT number check as the
// vies claim authority calls it: POST /rest-api/check-vat-number with
// {"countryCode", "vatNumber", "requesterMemberStateCode"?,
// "requesterNumber"?} answers {"countryCode", "vatNumber", "requestDate",
// "valid", "requestIdentifier", "name", "address"}, with "---" where a
// member state withholds a field and a requestIdentifier (the
// consultation number) only when the requester is given. Refusals and
// outages are {"actionSucceed": false, "errorWrappers": [{"error",
// "message"}]}: INVALID_INPUT (400) for a malformed request,
// INVALID_REQUESTER_INFO (400), and MS_UNAVAILABLE for a member state
// switched off with SetUnavailable (answered with 200, as VIES has been
// seen to; the authority must not read the status alone).
//
// The seeded numbers (the Demo constants) are made up. Paths are relative
// to the fake's root; mount it with http.StripPrefix. It imports nothing
// of pkg/claims.
package vies

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// The seeded registrations, as country code and number. All made up.
const (
	// DemoCountryDE/DemoNumberDE: valid; Germany discloses neither name
	// nor address ("---").
	DemoCountryDE = "DE"
	DemoNumberDE  = "999999991"
	// DemoCountryEL/DemoNumberEL: valid, Greek (EL, not GR), with a name.
	DemoCountryEL = "EL"
	DemoNumberEL  = "999999992"
	DemoNameEL    = "EXAMPLE SHIPPING S.A."
	// DemoCountryNL/DemoNumberNL: valid, with name and address.
	DemoCountryNL = "NL"
	DemoNumberNL  = "999999993B01"
	DemoNameNL    = "EXAMPLE TRADING B.V."
	DemoAddressNL = "EXAMPLESTRAAT 00001\n1000AA AMSTERDAM"
	// Any other well-formed number is not registered: valid false.
)

// memberStates are the codes VIES accepts (EL for Greece, XI for
// Northern Ireland).
var memberStates = []string{
	"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
	"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}

var numberRE = regexp.MustCompile(`^[0-9A-Za-z+*]{2,12}$`)

// Registration is one registered VAT number.
type Registration struct {
	Name    string // "" answers "---"
	Address string
}

type failure struct {
	status     int
	retryAfter time.Duration
	code       string // a VIES error code in errorWrappers; "" an HTML page
}

// Fake is an in-memory VIES; safe for concurrent use.
type Fake struct {
	mu          sync.Mutex
	registered  map[string]Registration // by country code + number
	unavailable map[string]bool
	failures    fakekit.Injector[failure]
	calls       fakekit.Counter
	seq         int
	now         func() time.Time
}

// NewFake returns a VIES holding the Demo registrations.
func NewFake() *Fake {
	f := &Fake{registered: map[string]Registration{}, unavailable: map[string]bool{}, now: time.Now}
	f.Register(DemoCountryDE, DemoNumberDE, Registration{})
	f.Register(DemoCountryEL, DemoNumberEL, Registration{Name: DemoNameEL, Address: "ODOS PARADEIGMATOS 1\n10000 ATHINA"})
	f.Register(DemoCountryNL, DemoNumberNL, Registration{Name: DemoNameNL, Address: DemoAddressNL})
	return f
}

// Register makes country+number valid.
func (f *Fake) Register(country, number string, r Registration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registered[country+number] = r
}

// SetUnavailable switches a member state's register off (MS_UNAVAILABLE)
// or back on.
func (f *Fake) SetUnavailable(country string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unavailable[country] = down
}

// FailNext makes the next n checks answer status with an HTML page (the
// EC's front end's 5xx).
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, failure{status: status}) }

// ThrottleNext makes the next n checks answer 429 with Retry-After.
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// ErrorNext makes the next n checks answer the VIES error code (e.g.
// GLOBAL_MAX_CONCURRENT_REQ, TIMEOUT) in errorWrappers with status.
func (f *Fake) ErrorNext(n, status int, code string) {
	f.failures.Add(n, failure{status: status, code: code})
}

// Calls is how many checks reached the fake, failed ones included.
func (f *Fake) Calls() int { return f.calls.Get("check-vat-number") }

// ServeHTTP serves POST /rest-api/check-vat-number.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/rest-api/check-vat-number" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f.calls.Inc("check-vat-number")
	if f.failures.Answer(w, writeFailure) {
		return
	}
	var req struct {
		CountryCode              string `json:"countryCode"`
		VATNumber                string `json:"vatNumber"`
		RequesterMemberStateCode string `json:"requesterMemberStateCode"`
		RequesterNumber          string `json:"requesterNumber"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil ||
		!slices.Contains(memberStates, req.CountryCode) || !numberRE.MatchString(req.VATNumber) {
		writeError(w, http.StatusBadRequest, "INVALID_INPUT")
		return
	}
	requester := req.RequesterMemberStateCode != "" || req.RequesterNumber != ""
	if requester && (!slices.Contains(memberStates, req.RequesterMemberStateCode) || !numberRE.MatchString(req.RequesterNumber)) {
		writeError(w, http.StatusBadRequest, "INVALID_REQUESTER_INFO")
		return
	}
	f.mu.Lock()
	down := f.unavailable[req.CountryCode]
	reg, valid := f.registered[req.CountryCode+req.VATNumber]
	id := ""
	if requester && !down {
		f.seq++
		id = fmt.Sprintf("WAPIAAAA%08d", f.seq)
	}
	now := f.now().UTC()
	f.mu.Unlock()
	if down {
		writeError(w, http.StatusOK, "MS_UNAVAILABLE")
		return
	}
	name, address := "---", "---"
	if valid && reg.Name != "" {
		name = reg.Name
	}
	if valid && reg.Address != "" {
		address = reg.Address
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{
		"countryCode": req.CountryCode, "vatNumber": req.VATNumber,
		"requestDate": now.Format("2006-01-02T15:04:05.000Z"),
		"valid":       valid, "requestIdentifier": id, "name": name, "address": address,
		"traderName": "", "traderStreet": "", "traderPostalCode": "", "traderCity": "", "traderCompanyType": "",
		"traderNameMatch": "NOT_PROCESSED", "traderStreetMatch": "NOT_PROCESSED", "traderPostalCodeMatch": "NOT_PROCESSED",
		"traderCityMatch": "NOT_PROCESSED", "traderCompanyTypeMatch": "NOT_PROCESSED",
	})
}

func writeError(w http.ResponseWriter, status int, code string) {
	fakekit.WriteJSON(w, "application/json", status, map[string]any{
		"actionSucceed": false,
		"errorWrappers": []map[string]string{{"error": code}},
	})
}

func writeFailure(w http.ResponseWriter, f failure) {
	fakekit.SetRetryAfter(w.Header(), f.retryAfter)
	if f.code != "" {
		writeError(w, f.status, f.code)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte("<html><body>" + http.StatusText(f.status) + "</body></html>"))
}
