// Package generic is a fake JSON API for the generic HTTPS target, for tests
// and the local dev stack. It keeps contacts by key at /contacts (POST, key
// in the body) and /contacts/{key} (PUT, PATCH, DELETE, GET), checks one of
// the generic target's auth modes (its HMAC check is written from the
// format, not by calling the target's signer, so the two check each other),
// and injects 429s with Retry-After and arbitrary failures on demand, also
// failures whose message echoes the record sent (FailNextEcho).
//
// Paths are relative to the fake's root; mount it with http.StripPrefix.
package generic

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Auth is what the fake demands of callers.
type Auth struct {
	Mode       string // "bearer", "basic", "hmac" or "none" (also "")
	Token      string // bearer
	Username   string // basic
	Password   string // basic
	HMACSecret string // hmac
	HMACHeader string // hmac; default X-ProfileSync-Signature
	// Tolerance is how far a signature's timestamp may be from the fake's
	// clock; default 5 minutes.
	Tolerance time.Duration
}

// Record is one stored contact.
type Record struct {
	ID            string         `json:"id"`
	Key           string         `json:"key"`
	Fields        map[string]any `json:"record"`
	LastEventID   string         `json:"last_event_id,omitempty"`
	LastEventType string         `json:"last_event_type,omitempty"`
}

// Fake is the API. Create it with NewFake; all methods are safe for
// concurrent use.
type Fake struct {
	auth Auth

	mu       sync.Mutex
	now      func() time.Time
	records  map[string]*Record
	failures fakekit.Injector[fakekit.Failure]
	seq      int
	calls    int
	dirty    map[string]bool // keys changed since the last TakeChanges
}

// NewFake returns an empty API that checks auth.
func NewFake(auth Auth) *Fake {
	if auth.HMACHeader == "" {
		auth.HMACHeader = "X-ProfileSync-Signature"
	}
	if auth.Tolerance == 0 {
		auth.Tolerance = 5 * time.Minute
	}
	return &Fake{auth: auth, now: time.Now, records: map[string]*Record{}}
}

// SetClock replaces the clock signatures are checked against.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// ThrottleNext makes the next n authenticated calls answer 429 with a
// Retry-After of retryAfter (whole seconds).
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// FailNext makes the next n authenticated calls answer status.
func (f *Fake) FailNext(n, status int) {
	f.failures.Add(n, fakekit.Failure{Status: status})
}

// FailNextEcho makes the next n authenticated calls answer status with an
// error message quoting the values of the request body and the contact key
// of the path, in upper case and regrouped (fakekit.Echo), as APIs that
// echo the record they refused do.
func (f *Fake) FailNextEcho(n, status int) {
	f.failures.Add(n, fakekit.Failure{Status: status, Echo: true})
}

// Calls counts the /contacts calls answered, failed ones included.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Len is how many contacts the fake holds: a cheap count for callers that
// poll for progress (Records copies every record).
func (f *Fake) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records)
}

// Records returns copies of the stored contacts sorted by key.
func (f *Fake) Records() []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Record, 0, len(f.records))
	for _, r := range f.records {
		c := *r
		c.Fields = fakekit.CopyMap(r.Fields)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ServeHTTP routes /contacts, /contacts/{key} and /_sandbox/records.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := fakekit.SplitPath(r.URL.EscapedPath())
	switch {
	case ok && len(segs) == 2 && segs[0] == "_sandbox" && segs[1] == "records" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.Records())
	case ok && (len(segs) == 1 || len(segs) == 2) && segs[0] == "contacts":
		key := ""
		if len(segs) == 2 {
			key = segs[1]
		}
		f.serveContacts(w, r, key, len(segs) == 2)
	default:
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	}
}

func (f *Fake) serveContacts(w http.ResponseWriter, r *http.Request, key string, byKey bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "unreadable body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !f.authorized(r, body) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or invalid credentials")
		return
	}
	if fl, ok := f.failures.Next(); ok {
		writeInjected(w, fl, key, body)
		return
	}
	switch {
	case !byKey && r.Method == http.MethodPost:
		f.write(w, body, "", false)
	case byKey && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		f.write(w, body, key, r.Method == http.MethodPatch)
	case byKey && r.Method == http.MethodDelete:
		if _, ok := f.records[key]; !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such contact")
			return
		}
		delete(f.records, key)
		f.touch(key)
		w.WriteHeader(http.StatusNoContent)
	case byKey && r.Method == http.MethodGet:
		rec, ok := f.records[key]
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", "no such contact")
			return
		}
		writeJSON(w, http.StatusOK, rec)
	default:
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here")
	}
}

// upsertBody is what the generic target sends.
type upsertBody struct {
	Key   string `json:"key"`
	Event struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"event"`
	Record map[string]any `json:"record"`
}

// write stores a POST (key from the body), PUT (replace) or PATCH (merge,
// existing contacts only): 201 when created, 200 when updated.
func (f *Fake) write(w http.ResponseWriter, body []byte, pathKey string, merge bool) {
	var b upsertBody
	if err := json.Unmarshal(body, &b); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "body is not a JSON object")
		return
	}
	key := b.Key
	switch {
	case pathKey != "" && key != "" && key != pathKey:
		writeError(w, http.StatusBadRequest, "key_mismatch", "the key in the body differs from the one in the path")
		return
	case pathKey != "":
		key = pathKey
	case key == "":
		writeError(w, http.StatusBadRequest, "invalid_request", "key is required")
		return
	}
	rec, exists := f.records[key]
	if merge && !exists {
		writeError(w, http.StatusNotFound, "not_found", "no such contact")
		return
	}
	if !exists {
		f.seq++
		rec = &Record{ID: "c-" + strconv.Itoa(f.seq), Key: key, Fields: map[string]any{}}
		f.records[key] = rec
	}
	if !merge {
		rec.Fields = map[string]any{}
	}
	for k, v := range b.Record {
		rec.Fields[k] = v
	}
	rec.LastEventID, rec.LastEventType = b.Event.ID, b.Event.Type
	f.touch(key)
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeJSON(w, status, rec)
}

func writeInjected(w http.ResponseWriter, fl fakekit.Failure, key string, body []byte) {
	fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
	msg := http.StatusText(fl.Status)
	if fl.Echo {
		msg = "contact " + strings.ToUpper(key) + " refused: " + fakekit.Echo(body)
	}
	writeError(w, fl.Status, "injected", msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}
