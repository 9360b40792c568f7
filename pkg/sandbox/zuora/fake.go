// Package zuora is a fake of the parts of the Zuora Billing REST API that
// ProfileSync uses, for tests and the local dev stack: the OAuth 2.0
// client credentials token endpoint (tokens that expire), account contacts
// (POST /v1/contacts with Idempotency-Key replay, PUT, DELETE, PUT …/scrub),
// and two ways to find a contact by a custom field (Object Query
// GET /object-query/contacts?filter[]=… and ZOQL POST /v1/action/query).
// Like Zuora it answers validation failures with HTTP 200 and
// {"success": false, "reasons": [{code, message}]}, with 8-digit codes
// whose last two digits are the category, and throttles with 429 and the
// RateLimit-* headers. It keeps contacts in memory and injects failures.
//
// Paths are relative to the fake's root; mount it with http.StripPrefix. It
// imports nothing from pkg/connector.
package zuora

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Contact is one stored contact.
type Contact struct {
	ID        string         `json:"id"`
	AccountID string         `json:"accountId"`
	Fields    map[string]any `json:"fields"`
	Scrubbed  bool           `json:"scrubbed,omitempty"`
}

// Calls counts the calls answered, failed ones included.
type Calls struct {
	Token  int `json:"token"`
	Query  int `json:"query"` // object query and ZOQL
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
	Scrub  int `json:"scrub"`
}

// failure is an injected answer: HTTP status, Zuora reason code and, for
// 429, the RateLimit-Reset delay.
type failure struct {
	status     int
	code       int
	retryAfter time.Duration
}

type replay struct {
	body   string
	status int
	resp   any
}

// Fake is the API. Create it with NewFake; all methods are safe for
// concurrent use.
type Fake struct {
	clientID, clientSecret string

	mu       sync.Mutex
	now      func() time.Time
	ttl      time.Duration
	tokens   map[string]time.Time // token -> expiry
	accounts map[string]bool
	contacts map[string]*Contact
	replays  map[string]replay // Idempotency-Key -> first answer
	failures fakekit.Injector[failure]
	seq      int
	calls    Calls
}

// NewFake returns a tenant that grants tokens to one client and holds the
// named (empty) customer accounts.
func NewFake(clientID, clientSecret string, accountIDs ...string) *Fake {
	f := &Fake{clientID: clientID, clientSecret: clientSecret, now: time.Now, ttl: time.Hour,
		tokens: map[string]time.Time{}, accounts: map[string]bool{}, contacts: map[string]*Contact{},
		replays: map[string]replay{}}
	for _, id := range accountIDs {
		f.accounts[id] = true
	}
	return f
}

// SetClock replaces the clock token expiry is measured with.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetTokenTTL changes how long new tokens live (default one hour).
func (f *Fake) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ttl = d
}

// ExpireTokens invalidates every issued token.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// FailNext makes the next n authenticated API calls answer HTTP status with
// a success:false body whose code suits it (…60 for 5xx, 90000011 for 401,
// …40 for 404, …20 otherwise).
func (f *Fake) FailNext(n, status int) {
	code := 50000020
	switch {
	case status >= 500:
		code = 50000060
	case status == http.StatusUnauthorized:
		code = 90000011
	case status == http.StatusNotFound:
		code = 50000040
	}
	f.failures.Add(n, failure{status: status, code: code})
}

// FailNextCode makes the next n authenticated API calls answer HTTP 200
// with {"success": false} and the given reason code: Zuora's way.
func (f *Fake) FailNextCode(n, code int) {
	f.failures.Add(n, failure{status: http.StatusOK, code: code})
}

// ThrottleNext makes the next n authenticated API calls answer 429 with
// RateLimit-Remaining 0 and RateLimit-Reset retryAfter (seconds).
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of the stored contacts sorted by id.
func (f *Fake) Records() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.contacts))
	for _, c := range f.contacts {
		cp := *c
		cp.Fields = fakekit.CopyMap(c.Fields)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Put stores a contact directly, bypassing validation, and returns its id
// (for seeding, e.g. two contacts sharing a key).
func (f *Fake) Put(accountID string, fields map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.store(accountID, fields)
}

func (f *Fake) store(accountID string, fields map[string]any) string {
	f.seq++
	id := "8ad0" + strconv.FormatInt(int64(1_000_000+f.seq), 16) + randomHex(8)
	f.contacts[id] = &Contact{ID: id, AccountID: accountID, Fields: fakekit.CopyMap(fields)}
	return id
}

// ServeHTTP routes the token endpoint, the API and GET /_sandbox/records.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := fakekit.SplitPath(r.URL.EscapedPath())
	switch {
	case !ok:
		writeFailure(w, http.StatusNotFound, 50000040, "Not found")
	case len(segs) == 2 && segs[0] == "_sandbox" && segs[1] == "records" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.Records())
	case len(segs) == 2 && segs[0] == "oauth" && segs[1] == "token":
		f.serveToken(w, r)
	default:
		f.serveAPI(w, r, segs)
	}
}

// serveToken issues tokens for the client credentials grant.
func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls.Token++
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "POST a form"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "grant type not supported"})
		return
	}
	if !equal(r.PostForm.Get("client_id"), f.clientID) || !equal(r.PostForm.Get("client_secret"), f.clientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Bad client credentials"})
		return
	}
	tok := randomHex(32)
	f.mu.Lock()
	f.tokens[tok] = f.now().Add(f.ttl)
	ttl := f.ttl
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int(ttl/time.Second) - 1,
		"scope": "entity.1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc platform.write service.usage.delete",
		"jti":   randomHex(16),
	})
}

// authorized reports whether r carries a live token. Call with f.mu held.
func (f *Fake) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, live := f.tokens[tok]
	return ok && live && f.now().Before(exp)
}

// writeInjected answers an injected failure.
func writeInjected(w http.ResponseWriter, fl failure) {
	if fl.status == http.StatusTooManyRequests {
		w.Header().Set("RateLimit-Limit", "50000")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", fakekit.Seconds(fl.retryAfter))
		writeJSON(w, fl.status, map[string]any{"success": false, "reasons": []map[string]any{
			{"code": "REQUEST_EXCEEDED_RATE", "message": "The total number of requests has exceeded the rate limit."}}})
		return
	}
	writeFailure(w, fl.status, fl.code, "injected failure")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json; charset=utf-8", status, v)
}

// writeFailure writes the v1 failure body.
func writeFailure(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"success": false, "processId": randomHex(8),
		"reasons": []map[string]any{{"code": code, "message": msg}}})
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
