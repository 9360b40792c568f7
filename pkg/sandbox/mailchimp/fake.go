// Package mailchimp is a fake of the Mailchimp Marketing API 3.0 audience
// members endpoints, for tests and the local dev stack. It follows the
// public docs: paths under /3.0/lists/{list_id}/members/{subscriber_hash},
// HTTP Basic auth with the API key as password (or a Bearer token),
// application/problem+json errors with Mailchimp's titles, the
// 10-simultaneous-connections limit answered with 429, archive and
// permanent delete ("Forgotten Email Not Subscribed" afterwards) and the
// compliance-state rule. It keeps members in memory and injects failures.
//
// Paths are relative to the fake's root; mount it with http.StripPrefix and
// give the connector <mount>/3.0 as base_url. It imports nothing from
// pkg/connector.
package mailchimp

import (
	"crypto/md5"
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

// DefaultMaxConnections is Mailchimp's limit of simultaneous connections.
const DefaultMaxConnections = 10

// Member is one stored audience member.
type Member struct {
	ID            string         `json:"id"` // the subscriber hash
	EmailAddress  string         `json:"email_address"`
	UniqueEmailID string         `json:"unique_email_id"`
	Status        string         `json:"status"`
	MergeFields   map[string]any `json:"merge_fields"`
	ListID        string         `json:"list_id"`
	// Other holds the other fields written (tags, language, vip, …).
	Other       map[string]any `json:"other,omitempty"`
	LastChanged string         `json:"last_changed"`
}

// Calls counts the member calls answered, failed ones included.
type Calls struct {
	Put             int `json:"put"`
	Patch           int `json:"patch"`
	Get             int `json:"get"`
	Archive         int `json:"archive"`
	DeletePermanent int `json:"delete_permanent"`
	List            int `json:"list"`
}

// Total is the sum of every kind.
func (c Calls) Total() int { return c.Put + c.Patch + c.Get + c.Archive + c.DeletePermanent + c.List }

// Fake is the API. Create it with NewFake; all methods are safe for
// concurrent use.
type Fake struct {
	apiKey string

	mu        sync.Mutex
	maxConns  int
	inFlight  int
	lists     map[string]map[string]*Member // list id -> hash -> member
	forgotten map[string]bool               // list id + "/" + hash
	failures  fakekit.Injector[fakekit.Failure]
	seq       int
	calls     Calls
}

// NewFake returns an API that accepts apiKey and holds the named (empty)
// audiences; other list ids answer 404.
func NewFake(apiKey string, listIDs ...string) *Fake {
	f := &Fake{apiKey: apiKey, maxConns: DefaultMaxConnections,
		lists: map[string]map[string]*Member{}, forgotten: map[string]bool{}}
	for _, id := range listIDs {
		f.lists[id] = map[string]*Member{}
	}
	return f
}

// SetMaxConnections changes the simultaneous-connection limit.
func (f *Fake) SetMaxConnections(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxConns = n
}

// FailNext makes the next n authenticated calls answer status with a
// problem body titled after it.
func (f *Fake) FailNext(n, status int) { f.failures.Add(n, fakekit.Failure{Status: status}) }

// ThrottleNext makes the next n authenticated calls answer 429 "Too Many
// Requests". Mailchimp documents no reset header; a non-zero retryAfter
// adds a Retry-After so both paths can be exercised.
func (f *Fake) ThrottleNext(n int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// Calls returns the call counters.
func (f *Fake) Calls() Calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Records returns copies of every member (archived ones included, with
// status "archived"), sorted by list and email.
func (f *Fake) Records() []Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Member
	for _, members := range f.lists {
		for _, m := range members {
			c := *m
			c.MergeFields = fakekit.CopyMap(m.MergeFields)
			c.Other = fakekit.CopyMap(m.Other)
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ListID != out[j].ListID {
			return out[i].ListID < out[j].ListID
		}
		return out[i].EmailAddress < out[j].EmailAddress
	})
	return out
}

// Put stores a member directly (for seeding, e.g. an unsubscribed one).
func (f *Fake) Put(listID, email, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lists[listID] == nil {
		f.lists[listID] = map[string]*Member{}
	}
	h := hash(email)
	f.lists[listID][h] = f.newMember(listID, h, email, status)
}

// ServeHTTP routes GET /3.0/lists/{list}/members (the list),
// /3.0/lists/{list}/members/{hash}[/actions/delete-permanent]
// and GET /_sandbox/records.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := fakekit.SplitPath(r.URL.EscapedPath())
	switch {
	case ok && len(segs) == 2 && segs[0] == "_sandbox" && segs[1] == "records" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.Records())
		return
	case !ok || len(segs) < 4 || segs[0] != "3.0" || segs[1] != "lists" || segs[3] != "members" ||
		len(segs) == 4 && r.Method != http.MethodGet:
		writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
		return
	}
	if !f.enter() {
		writeProblem(w, http.StatusTooManyRequests, "Too Many Requests",
			"You have exceeded the limit of 10 simultaneous connections.")
		return
	}
	defer f.leave()
	if !f.authorized(r) {
		writeProblem(w, http.StatusUnauthorized, "API Key Invalid",
			"Your API key may be invalid, or you've attempted to access the wrong datacenter.")
		return
	}
	if len(segs) == 4 {
		f.serveList(w, r, segs[2])
		return
	}
	f.serveMember(w, r, segs[2], segs[4], segs[5:])
}

func (f *Fake) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inFlight >= f.maxConns {
		return false
	}
	f.inFlight++
	return true
}

func (f *Fake) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
}

// authorized accepts Basic with any username and the key as password, or
// the key as a Bearer token (the sandbox's stand-in for OAuth).
func (f *Fake) authorized(r *http.Request) bool {
	if _, pw, ok := r.BasicAuth(); ok {
		return subtle.ConstantTimeCompare([]byte(pw), []byte(f.apiKey)) == 1
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(f.apiKey)) == 1
}

// writeInjected answers an injected failure with a problem titled after
// its status.
func writeInjected(w http.ResponseWriter, fl fakekit.Failure) {
	fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
	writeProblem(w, fl.Status, http.StatusText(fl.Status), "injected failure")
}

func (f *Fake) newMember(listID, h, email, status string) *Member {
	f.seq++
	return &Member{ID: h, EmailAddress: email, UniqueEmailID: "u" + strconv.Itoa(f.seq), Status: status,
		MergeFields: map[string]any{}, ListID: listID, Other: map[string]any{},
		LastChanged: time.Now().UTC().Format(time.RFC3339)}
}

func hash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json; charset=utf-8", status, v)
}

// fieldError is one entry of a validation problem's "errors".
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// writeProblem writes Mailchimp's problem+json error body.
func writeProblem(w http.ResponseWriter, status int, title, detail string, errs ...fieldError) {
	p := map[string]any{
		"type":     "https://mailchimp.com/developer/marketing/docs/errors/",
		"title":    title,
		"status":   status,
		"detail":   detail,
		"instance": "00000000-0000-0000-0000-" + strconv.FormatInt(time.Now().UnixNano()%1e12, 10),
	}
	if len(errs) > 0 {
		p["errors"] = errs
	}
	fakekit.WriteJSON(w, "application/problem+json; charset=utf-8", status, p)
}
