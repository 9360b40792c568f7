// Package brevo is a fake of the Brevo (ex-Sendinblue) contacts API v3 that
// ProfileSync uses, for tests and the local dev stack: create (with
// updateEnabled), read, update and delete a contact by email, contact id or
// ext_id (identifierType), list membership (listIds / unlinkListIds) and
// the email blocklist. It follows Brevo's public docs for paths, the
// api-key header, status codes (201 {"id"} on create, 204 on update and
// delete), the {"code","message"} error body and the x-sib-ratelimit-*
// headers, keeps contacts in memory and has knobs to inject failures.
//
// Paths are relative to the fake's root (/v3/contacts...); mount it with
// http.StripPrefix. It is not a connector and imports nothing from
// pkg/connector.
package brevo

import (
	"crypto/subtle"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// RateLimit is the per-second limit the fake reports in its headers (the
// General tier of /v3/contacts).
const RateLimit = 10

// Calls counts the API calls the fake answered, failed ones included.
type Calls struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
	Get    int `json:"get"`
	List   int `json:"list"`
}

// Total is the sum of every counter.
func (c Calls) Total() int { return c.Create + c.Update + c.Delete + c.Get + c.List }

// Contact is one stored contact, in the shape GET /v3/contacts/{id} answers.
type Contact struct {
	ID               int64          `json:"id"`
	Email            string         `json:"email,omitempty"`
	ExtID            string         `json:"ext_id,omitempty"`
	EmailBlacklisted bool           `json:"emailBlacklisted"`
	SMSBlacklisted   bool           `json:"smsBlacklisted"`
	Attributes       map[string]any `json:"attributes"`
	ListIDs          []int64        `json:"listIds"`
	CreatedAt        time.Time      `json:"createdAt"`
	ModifiedAt       time.Time      `json:"modifiedAt"`
}

// Fake is an in-memory Brevo account. Create it with NewFake; all methods
// are safe for concurrent use.
type Fake struct {
	mu         sync.Mutex
	apiKey     string
	attributes map[string]bool // known attributes; nil admits any
	contacts   map[int64]*Contact
	failures   fakekit.Injector[fakekit.Failure]
	seq        int64
	calls      Calls
	now        func() time.Time
}

// NewFake returns an empty account that accepts apiKey.
func NewFake(apiKey string) *Fake {
	return &Fake{apiKey: apiKey, contacts: map[int64]*Contact{}, now: time.Now}
}

// SetAttributes restricts writes to the named attributes; any other one is
// refused with 400 invalid_parameter.
func (f *Fake) SetAttributes(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attributes = map[string]bool{}
	for _, n := range names {
		f.attributes[strings.ToUpper(n)] = true
	}
}

// RotateKey replaces the accepted API key; calls with the old one get 401.
func (f *Fake) RotateKey(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apiKey = key
}

// FailNext makes the next n authenticated calls answer status with the
// Brevo error code that fits it.
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, fakekit.Failure{Status: status}) }

// ThrottleNext makes the next n authenticated calls answer 429 with
// x-sib-ratelimit-reset set to retryAfter (whole seconds, at least 1).
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: http.StatusTooManyRequests, RetryAfter: max(retryAfter, time.Second)})
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of the stored contacts, by id.
func (f *Fake) Records() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.contacts))
	for _, c := range f.contacts {
		out = append(out, c.copy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (c *Contact) copy() Contact {
	cp := *c
	cp.Attributes = make(map[string]any, len(c.Attributes))
	for k, v := range c.Attributes {
		cp.Attributes[k] = v
	}
	cp.ListIDs = append([]int64{}, c.ListIDs...)
	return cp
}

// ServeHTTP routes /v3/contacts (create and list), /v3/contacts/{identifier} and the sandbox
// listing.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := fakekit.SplitPath(r.URL.EscapedPath())
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid URL path")
	case len(segs) == 2 && segs[0] == "_sandbox" && segs[1] == "records" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.Records())
	case len(segs) == 2 && segs[0] == "v3" && segs[1] == "contacts" && r.Method == http.MethodPost:
		f.serve(w, r, &f.calls.Create, f.create)
	case len(segs) == 2 && segs[0] == "v3" && segs[1] == "contacts" && r.Method == http.MethodGet:
		f.serve(w, r, &f.calls.List, f.list)
	case len(segs) == 3 && segs[0] == "v3" && segs[1] == "contacts":
		id, idType := segs[2], r.URL.Query().Get("identifierType")
		switch r.Method {
		case http.MethodGet:
			f.serve(w, r, &f.calls.Get, func(w http.ResponseWriter, r *http.Request) { f.get(w, id, idType) })
		case http.MethodPut:
			f.serve(w, r, &f.calls.Update, func(w http.ResponseWriter, r *http.Request) { f.update(w, r, id, idType) })
		case http.MethodDelete:
			f.serve(w, r, &f.calls.Delete, func(w http.ResponseWriter, r *http.Request) { f.remove(w, id, idType) })
		default:
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
		}
	default:
		writeError(w, http.StatusNotFound, "document_not_found", "Invalid route")
	}
}

// serve counts the call, checks the api-key header, applies an injected
// failure and otherwise runs h, all under f.mu.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, counter *int, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*counter++
	key := r.Header.Get("api-key")
	switch {
	case key == "":
		writeError(w, http.StatusUnauthorized, "unauthorized", "authentication not found in headers")
		return
	case f.apiKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(f.apiKey)) != 1:
		writeError(w, http.StatusUnauthorized, "unauthorized", "Key not found")
		return
	}
	hdr := w.Header()
	hdr.Set("x-sib-ratelimit-limit", strconv.Itoa(RateLimit))
	hdr.Set("x-sib-ratelimit-remaining", strconv.Itoa(RateLimit-1))
	hdr.Set("x-sib-ratelimit-reset", "1")
	if f.failures.Answer(w, writeInjected) {
		return
	}
	h(w, r)
}

// writeInjected answers an injected failure with the Brevo error code that
// fits its status; a 429 also empties the rate-limit window.
func writeInjected(w http.ResponseWriter, fl fakekit.Failure) {
	if fl.Status == http.StatusTooManyRequests {
		w.Header().Set("x-sib-ratelimit-remaining", "0")
		w.Header().Set("x-sib-ratelimit-reset", fakekit.Seconds(fl.RetryAfter))
	}
	code, msg := injectedError(fl.Status)
	writeError(w, fl.Status, code, msg)
}

func injectedError(status int) (code, msg string) {
	switch status {
	case 400:
		return "invalid_parameter", "injected failure"
	case 401:
		return "unauthorized", "Key not found"
	case 402:
		return "not_enough_credits", "You don't have enough credit to perform this action"
	case 403:
		return "permission_denied", "Permission denied for this resource"
	case 404:
		return "document_not_found", "Contact does not exist"
	case 405:
		return "method_not_allowed", "You're not allowed to delete registered email contact with Brevo"
	case 429:
		return "too_many_requests", "Too many requests"
	}
	return "", "Internal Server Error"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json; charset=utf-8", status, v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	body := map[string]any{"message": msg}
	if code != "" {
		body["code"] = code
	}
	writeJSON(w, status, body)
}
