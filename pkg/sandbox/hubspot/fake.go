// Package hubspot is a fake of the parts of the HubSpot API that ProfileSync
// uses, for tests and the local dev stack: CRM v3 contacts (batch upsert by
// a unique property, read and archive, GDPR delete, the paged list in
// list.go), CRM search over
// contacts and other objects (search.go), and the v3
// communication preferences unsubscribe. It follows HubSpot's public docs
// for paths, the private-app bearer token, status codes (200/207 batch
// answers, 204 deletes, 409 conflicts), the error body
// {"status":"error","message","correlationId","category",...}, the 429 body
// with policyName, and the X-HubSpot-RateLimit-* headers. It keeps contacts
// in memory and has knobs to inject failures.
//
// Paths are relative to the fake's root; mount it with http.StripPrefix. It
// is not a connector and imports nothing from pkg/connector.
package hubspot

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Published limits the fake reports in its rate-limit headers (a
// Professional private app: 190 requests per 10 s, 650,000 a day).
const (
	IntervalMax = 190
	DailyMax    = 650000
	// MaxBatch is the most inputs one batch call takes.
	MaxBatch = 100
)

// Calls counts the API calls the fake answered, failed ones included.
type Calls struct {
	Upsert      int `json:"upsert"` // POST .../batch/upsert
	Read        int `json:"read"`
	Archive     int `json:"archive"`
	GDPRDelete  int `json:"gdpr_delete"`
	Unsubscribe int `json:"unsubscribe"`
}

// Total is the sum of every counter.
func (c Calls) Total() int { return c.Upsert + c.Read + c.Archive + c.GDPRDelete + c.Unsubscribe }

// Contact is one stored contact.
type Contact struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	// Unsubscribed lists the subscription ids the contact's email left.
	Unsubscribed []string `json:"unsubscribed,omitempty"`
}

type injected struct {
	status   int
	policy   string        // for 429: TEN_SECONDLY_ROLLING, SECONDLY, DAILY
	interval time.Duration // for 429: the window reported in the headers
}

// Fake is an in-memory HubSpot portal. Create it with NewFake; all methods
// are safe for concurrent use.
type Fake struct {
	mu          sync.Mutex
	token       string
	unique      map[string]bool // properties with hasUniqueValue (email included)
	schema      map[string]bool // known properties; nil admits any
	contacts    map[string]*Contact
	blocked     map[string]bool            // emails blocklisted by GDPR delete
	unsub       map[string]map[string]bool // email -> subscription ids left
	failures    fakekit.Injector[injected]
	seq         int
	calls       Calls
	now         func() time.Time
	correlation int
	objects     objectStore // search.go
}

// NewFake returns an empty portal that accepts the private-app token and
// has the given custom unique properties (default "profilesync_id");
// "email" is always unique, as in HubSpot.
func NewFake(token string, uniqueProperties ...string) *Fake {
	if len(uniqueProperties) == 0 {
		uniqueProperties = []string{"profilesync_id"}
	}
	f := &Fake{
		token:    token,
		unique:   map[string]bool{"email": true},
		contacts: map[string]*Contact{},
		blocked:  map[string]bool{},
		unsub:    map[string]map[string]bool{},
		now:      time.Now,
	}
	for _, p := range uniqueProperties {
		f.unique[p] = true
	}
	return f
}

// SetSchema restricts writes to the named properties (plus the unique ones
// and email); any other property fails the batch with 400
// PROPERTY_DOESNT_EXIST, as HubSpot does.
func (f *Fake) SetSchema(properties ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.schema = map[string]bool{}
	for _, p := range properties {
		f.schema[p] = true
	}
}

// RotateToken replaces the accepted token, as rotating a private app's
// token does: calls with the old one get 401.
func (f *Fake) RotateToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = token
}

// FailNext makes the next n authenticated API calls answer status with a
// HubSpot error body whose category fits the status.
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, injected{status: status}) }

// ThrottleNext makes the next n authenticated calls answer 429 for the
// TEN_SECONDLY_ROLLING policy, reporting a window of retryAfter in
// X-HubSpot-RateLimit-Interval-Milliseconds (default 10 s). HubSpot sends no
// Retry-After; the client waits out the window.
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = 10 * time.Second
	}
	f.failures.Add(n, injected{status: http.StatusTooManyRequests, policy: "TEN_SECONDLY_ROLLING", interval: retryAfter})
}

// ExhaustDaily makes the next n authenticated calls answer 429 for the
// DAILY policy, with X-HubSpot-RateLimit-Daily-Remaining 0.
func (f *Fake) ExhaustDaily(n int) {
	f.failures.Add(n, injected{status: http.StatusTooManyRequests, policy: "DAILY", interval: 10 * time.Second})
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of the live (not archived) contacts, by id.
func (f *Fake) Records() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.contacts))
	for _, c := range f.contacts {
		cp := *c
		cp.Properties = make(map[string]string, len(c.Properties))
		for k, v := range c.Properties {
			cp.Properties[k] = v
		}
		for s := range f.unsub[strings.ToLower(c.Properties["email"])] {
			cp.Unsubscribed = append(cp.Unsubscribed, s)
		}
		sort.Strings(cp.Unsubscribed)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].ID)
		b, _ := strconv.Atoi(out[j].ID)
		return a < b
	})
	return out
}

// Blocklisted reports whether a GDPR delete blocklisted email.
func (f *Fake) Blocklisted(email string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocked[strings.ToLower(email)]
}

// ServeHTTP routes the contacts API, the unsubscribe endpoint and the
// sandbox listing.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := fakekit.SplitPath(r.URL.EscapedPath())
	if !ok {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid URL path")
		return
	}
	route := strings.Join(segs, "/")
	switch {
	case route == "_sandbox/records" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.Records())
	case route == "crm/v3/objects/contacts/batch/upsert" && r.Method == http.MethodPost:
		f.serve(w, r, &f.calls.Upsert, f.batchUpsert)
	case route == "crm/v3/objects/contacts" && r.Method == http.MethodGet:
		f.serve(w, r, &f.calls.Read, f.list)
	case route == "crm/v3/objects/contacts/gdpr-delete" && r.Method == http.MethodPost:
		f.serve(w, r, &f.calls.GDPRDelete, f.gdprDelete)
	case route == "communication-preferences/v3/unsubscribe" && r.Method == http.MethodPost:
		f.serve(w, r, &f.calls.Unsubscribe, f.unsubscribe)
	case len(segs) == 5 && strings.Join(segs[:4], "/") == "crm/v3/objects/contacts" && r.Method == http.MethodGet:
		f.serve(w, r, &f.calls.Read, func(w http.ResponseWriter, r *http.Request) { f.read(w, r, segs[4]) })
	case len(segs) == 5 && strings.Join(segs[:4], "/") == "crm/v3/objects/contacts" && r.Method == http.MethodDelete:
		f.serve(w, r, &f.calls.Archive, func(w http.ResponseWriter, r *http.Request) { f.archive(w, segs[4]) })
	case len(segs) == 5 && strings.Join(segs[:3], "/") == "crm/v3/objects" && segs[4] == "search" && r.Method == http.MethodPost:
		f.serve(w, r, &f.objects.searches, func(w http.ResponseWriter, r *http.Request) { f.search(w, r, segs[3]) })
	default:
		f.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "No route for "+r.Method+" /"+route)
	}
}

// serve counts the call, checks the bearer token, applies an injected
// failure and otherwise runs h, all under f.mu.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, counter *int, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*counter++
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || f.token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(f.token)) != 1 {
		f.writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
		return
	}
	f.setLimitHeaders(w, nil)
	if f.failures.Answer(w, f.writeInjected) {
		return
	}
	h(w, r)
}

func (f *Fake) setLimitHeaders(w http.ResponseWriter, in *injected) {
	h := w.Header()
	interval, remaining, daily := 10*time.Second, IntervalMax-1, DailyMax-f.calls.Total()
	if in != nil {
		interval = in.interval
		if in.policy == "DAILY" {
			daily = 0
		} else {
			remaining = 0
		}
	}
	h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(DailyMax))
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(daily, 0)))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(interval.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(IntervalMax))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
}

func (f *Fake) writeInjected(w http.ResponseWriter, in injected) {
	if in.status == http.StatusTooManyRequests {
		f.setLimitHeaders(w, &in)
		writeJSON(w, in.status, map[string]any{
			"status":        "error",
			"message":       "You have reached your " + strings.ToLower(in.policy) + " limit.",
			"errorType":     "RATE_LIMIT",
			"correlationId": f.correlationID(),
			"policyName":    in.policy,
			"groupName":     "publicapi:private-app",
		})
		return
	}
	category := map[int]string{
		400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES",
		404: "OBJECT_NOT_FOUND", 409: "CONFLICT",
	}[in.status]
	msg := "injected failure"
	switch {
	case in.status == http.StatusConflict:
		msg = "Contact already exists. Existing ID: 1"
	case in.status >= 500:
		category, msg = "INTERNAL_ERROR", "internal error"
	}
	f.writeError(w, in.status, category, msg)
}

func (f *Fake) correlationID() string {
	f.correlation++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.correlation)
}

// writeError writes HubSpot's standard error body; f.mu is held.
func (f *Fake) writeError(w http.ResponseWriter, status int, category, msg string) {
	body := map[string]any{"status": "error", "message": msg, "correlationId": f.correlationID()}
	if category != "" {
		body["category"] = category
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json;charset=utf-8", status, v)
}
