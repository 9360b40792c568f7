// Package braze is a fake of the Braze REST API's user endpoints, for tests
// and the local dev stack: POST /users/track (attributes objects, at most 75
// per request, non-fatal per-object errors as {"type", "input_array",
// "index"}, a 400 when nothing in the request was valid) and POST
// /users/delete (exactly one identifier list, at most 50). It checks the
// Bearer REST API key and its permissions, sets the X-RateLimit-* headers
// on every answer, keeps users in memory and injects failures.
//
// Paths are relative to the fake's root; mount it with http.StripPrefix and
// give the connector the mount as base_url. It imports nothing from
// pkg/connector.
package braze

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Limits Braze documents.
const (
	MaxAttributes = 75
	MaxDeleteIDs  = 50
	// RateLimit is the fake's nominal requests per window, for the headers.
	RateLimit = 250000
)

// User is one stored profile.
type User struct {
	ExternalID string         `json:"external_id"`
	Attributes map[string]any `json:"attributes"`
}

// Calls counts the calls answered, failed ones included.
type Calls struct {
	Track  int `json:"track"`
	Delete int `json:"delete"`
}

// Fake is the API. Create it with NewFake; all methods are safe for
// concurrent use.
type Fake struct {
	apiKey string

	mu         sync.Mutex
	now        func() time.Time
	denied     map[string]bool // permissions the key lacks
	unindexed  bool
	users      map[string]map[string]any
	failures   fakekit.Injector[fakekit.Failure]
	calls      Calls
	remaining  int
	resetEpoch int64
}

// NewFake returns an empty workspace that accepts apiKey.
func NewFake(apiKey string) *Fake {
	return &Fake{apiKey: apiKey, now: time.Now, denied: map[string]bool{}, users: map[string]map[string]any{}}
}

// SetClock replaces the clock the rate-limit headers are computed from.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Deny removes a permission ("users.track", "users.delete") from the key,
// so its endpoint answers 403.
func (f *Fake) Deny(permission string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[permission] = true
}

// OmitErrorIndexes makes non-fatal errors name no object, as Braze's own
// pages show them ("<minor error message>").
func (f *Fake) OmitErrorIndexes(omit bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unindexed = omit
}

// FailNext makes the next n authenticated calls answer status.
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, fakekit.Failure{Status: status}) }

// ThrottleNext makes the next n authenticated calls answer 429 with
// X-RateLimit-Remaining 0 and X-RateLimit-Reset retryAfter from now
// (rounded up to the epoch second, as Braze sends it).
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of the stored users, sorted by external_id.
func (f *Fake) Records() []User {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]User, 0, len(f.users))
	for id, attrs := range f.users {
		out = append(out, User{ExternalID: id, Attributes: fakekit.CopyMap(attrs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExternalID < out[j].ExternalID })
	return out
}

// ServeHTTP routes /users/track, /users/delete and GET /_sandbox/records.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimRight(r.URL.Path, "/")
	if path == "/_sandbox/records" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, f.Records())
		return
	}
	var permission string
	switch path {
	case "/users/track":
		permission = "users.track"
	case "/users/delete":
		permission = "users.delete"
	default:
		writeMessage(w, http.StatusNotFound, "Not Found: the requested endpoint does not exist")
		return
	}
	if r.Method != http.MethodPost {
		writeMessage(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	var body map[string]json.RawMessage
	decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if permission == "users.track" {
		f.calls.Track++
	} else {
		f.calls.Delete++
	}
	if !f.authorized(r) {
		writeMessage(w, http.StatusUnauthorized, "Unknown or missing REST API key.")
		return
	}
	if f.denied[permission] {
		writeMessage(w, http.StatusForbidden, "The REST API key does not have the "+permission+" permission.")
		return
	}
	if f.failures.Answer(w, f.writeInjected) {
		return
	}
	f.rateHeaders(w)
	if decodeErr != nil {
		writeMessage(w, http.StatusBadRequest, "Invalid JSON in request body.")
		return
	}
	if permission == "users.track" {
		f.track(w, body)
	} else {
		f.deleteUsers(w, body)
	}
}

func (f *Fake) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(f.apiKey)) == 1
}

// rateHeaders sets X-RateLimit-* for a window of one hour. Call with f.mu held.
func (f *Fake) rateHeaders(w http.ResponseWriter) {
	now := f.now()
	if now.Unix() >= f.resetEpoch {
		f.resetEpoch = now.Truncate(time.Hour).Add(time.Hour).Unix()
		f.remaining = RateLimit
	}
	f.remaining--
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(f.remaining, 0)))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.resetEpoch, 10))
}

// writeInjected answers an injected failure. Call with f.mu held.
func (f *Fake) writeInjected(w http.ResponseWriter, fl fakekit.Failure) {
	if fl.Status == http.StatusTooManyRequests {
		reset := f.now().Add(fl.RetryAfter)
		epoch := reset.Unix()
		if reset.Nanosecond() > 0 {
			epoch++
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(epoch, 10))
		writeMessage(w, fl.Status, "Too Many Requests: rate limit exceeded")
		return
	}
	writeMessage(w, fl.Status, http.StatusText(fl.Status))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg})
}
