// Package salesforce is a fake of the parts of the Salesforce REST API that
// ProfileSync uses, for tests and the local dev stack: the OAuth 2.0 client
// credentials token endpoint, sObject rows by External ID and by Id, the
// sObject Collections upsert (collections.go), and the query resource for
// a subset of SOQL (query.go, soql.go). It
// follows the public docs for paths, status codes and error bodies, keeps
// records in memory, and has knobs to inject the failures a real org shows
// (expired sessions, REQUEST_LIMIT_EXCEEDED, arbitrary error codes).
//
// The fake serves paths relative to its root; mount it under a prefix with
// http.StripPrefix and tell it with SetPathPrefix (or SetInstanceURL) so the
// instance_url it hands out points back at it. It is not a connector and
// imports nothing from pkg/connector.
package salesforce

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Calls counts the API calls the fake has answered, by kind.
type Calls struct {
	Token  int `json:"token"`
	Upsert int `json:"upsert"` // PATCH by External ID or by Id
	Delete int `json:"delete"`
	Get    int `json:"get"`
	// Collections counts sObject Collections upserts (one per call, up
	// to 200 records each); CollectionRecords counts the records they
	// carried.
	Collections       int `json:"collections"`
	CollectionRecords int `json:"collection_records"`
}

// injected is a queued failure: a data call answers status/errorCode.
type injected struct {
	status    int
	errorCode string
	message   string
}

// Fake is an in-memory Salesforce org. The zero value is not usable; call
// NewFake. All methods are safe for concurrent use.
type Fake struct {
	clientID, clientSecret string

	mu          sync.Mutex
	instanceURL string              // fixed instance_url, if set
	prefix      string              // path prefix the fake is mounted under
	schemas     map[string][]string // lower-cased object -> allowed field names
	tokens      map[string]bool
	records     map[string][]*record // object (as first seen) -> live records
	deleted     map[string]string    // Id -> object, for ENTITY_IS_DELETED
	failures    fakekit.Injector[injected]
	recFailures map[string][]*sfError // External ID value -> queued per-record failures
	seq         int
	calls       Calls
	query       queryState // query.go
}

type record struct {
	id     string
	fields map[string]any
}

// NewFake returns an org that grants tokens to one client.
func NewFake(clientID, clientSecret string) *Fake {
	return &Fake{
		clientID:     clientID,
		clientSecret: clientSecret,
		schemas:      map[string][]string{},
		tokens:       map[string]bool{},
		records:      map[string][]*record{},
		deleted:      map[string]string{},
		recFailures:  map[string][]*sfError{},
	}
}

// SetInstanceURL fixes the instance_url the token endpoint returns. Without
// it the fake derives one from the request's Host and the path prefix.
func (f *Fake) SetInstanceURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instanceURL = strings.TrimRight(u, "/")
}

// SetPathPrefix tells the fake it is mounted under prefix (e.g.
// "/sandbox/salesforce"), so the derived instance_url includes it.
func (f *Fake) SetPathPrefix(prefix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prefix = "/" + strings.Trim(prefix, "/")
	if f.prefix == "/" {
		f.prefix = ""
	}
}

// SetSchema restricts object to the named fields (plus Id); any other field
// in a write gets 400 INVALID_FIELD, and an External ID field not listed
// gets 404 NOT_FOUND. Objects with a schema are the only ones that exist
// once any schema is set. Names match case-insensitively, as in Salesforce.
func (f *Fake) SetSchema(object string, fields ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.schemas[strings.ToLower(object)] = append([]string(nil), fields...)
}

// ExpireTokens invalidates every issued access token, as a session timeout
// or a revoked session does.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// FailNext makes the next n authenticated data calls answer status with
// errorCode (e.g. 400 UNABLE_TO_LOCK_ROW, 503 SERVER_UNAVAILABLE).
func (f *Fake) FailNext(n, status int, errorCode string) {
	f.failures.Add(n, injected{status: status, errorCode: errorCode, message: "injected failure"})
}

// ThrottleNext makes the next n authenticated data calls answer 403
// REQUEST_LIMIT_EXCEEDED, Salesforce's only throttling signal (no 429, no
// Retry-After).
func (f *Fake) ThrottleNext(n int) {
	f.failures.Add(n, injected{status: http.StatusForbidden, errorCode: "REQUEST_LIMIT_EXCEEDED",
		message: "TotalRequests Limit exceeded."})
}

// FailRecord makes the next upsert of the record whose External ID is key
// fail with statusCode (e.g. UNABLE_TO_LOCK_ROW,
// FIELD_CUSTOM_VALIDATION_EXCEPTION) and message, while the other records
// of a Collections call go through. Call it n times to fail n upserts. A
// single-record upsert answers it as 400 with errorCode statusCode.
func (f *Fake) FailRecord(key, statusCode, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recFailures[key] = append(f.recFailures[key], badRequest(statusCode, message))
}

// popRecordFailure takes the next queued failure of key; f.mu is held.
func (f *Fake) popRecordFailure(key string) *sfError {
	q := f.recFailures[key]
	if len(q) == 0 {
		return nil
	}
	if len(q) == 1 {
		delete(f.recFailures, key)
	} else {
		f.recFailures[key] = q[1:]
	}
	return q[0]
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of object's live records, each with its Id, sorted
// by Id (creation order).
func (f *Fake) Records(object string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshot(f.objectKey(object))
}

// Put stores a record directly, bypassing validation, and returns its Id:
// for seeding, e.g. two records sharing an External ID to provoke a 300.
func (f *Fake) Put(object string, fields map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := f.objectKey(object)
	rec := &record{id: f.newID(object), fields: fakekit.CopyMap(fields)}
	f.records[key] = append(f.records[key], rec)
	return rec.id
}

// Remove deletes the record id of object directly, as a person would in
// the org (drift for reconciliation tests); it says whether it was there.
func (f *Fake) Remove(object, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := f.objectKey(object)
	for i, r := range f.records[key] {
		if r.id == id {
			f.records[key] = append(f.records[key][:i], f.records[key][i+1:]...)
			return true
		}
	}
	return false
}

func (f *Fake) snapshot(key string) []map[string]any {
	recs := f.records[key]
	out := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		m := fakekit.CopyMap(r.fields)
		m["Id"] = r.id
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["Id"].(string) < out[j]["Id"].(string) })
	return out
}

// objectKey returns the stored spelling of object (names are
// case-insensitive), or object itself when it has no records yet.
func (f *Fake) objectKey(object string) string {
	for k := range f.records {
		if strings.EqualFold(k, object) {
			return k
		}
	}
	return object
}

// ServeHTTP routes the token endpoint, the sObject resources and the
// sandbox listing.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, _ := fakekit.SplitPath(r.URL.EscapedPath()) // a bad escape routes as nil: 404
	switch {
	case len(segs) == 3 && segs[0] == "services" && segs[1] == "oauth2" && segs[2] == "token":
		f.serveToken(w, r)
	case len(segs) == 2 && segs[0] == "_sandbox" && segs[1] == "records":
		f.serveListing(w, r)
	case len(segs) >= 5 && segs[0] == "services" && segs[1] == "data" && segs[3] == "sobjects":
		f.serveData(w, r, segs[2], segs[4:])
	case len(segs) >= 4 && segs[0] == "services" && segs[1] == "data" && segs[3] == "query":
		f.serveQuery(w, r, segs[2], segs[4:])
	case len(segs) >= 5 && segs[0] == "services" && segs[1] == "data" && segs[3] == "composite" && segs[4] == "sobjects":
		f.serveCollection(w, r, segs[2], segs[5:])
	default:
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// serveListing answers GET /_sandbox/records[?object=Contact] with
// {"Contact": [...], ...}, objects and records sorted, for the CLI.
func (f *Fake) serveListing(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET")
		return
	}
	f.mu.Lock()
	out := map[string][]map[string]any{}
	want := r.URL.Query().Get("object")
	for k := range f.records {
		if want == "" || strings.EqualFold(k, want) {
			out[k] = f.snapshot(k)
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out) // encoding/json sorts map keys
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json;charset=UTF-8", status, v)
}

// writeErrors writes Salesforce's error body: a JSON array of
// {message, errorCode[, fields]}.
func writeErrors(w http.ResponseWriter, status int, code, msg string, fields ...string) {
	e := map[string]any{"message": msg, "errorCode": code}
	if len(fields) > 0 {
		e["fields"] = fields
	}
	writeJSON(w, status, []any{e})
}
