// Package okta is an in-memory stand-in for the part of an Okta org
// ProfileSync calls: the Users API. Tests use it through httptest; the local
// stack mounts it under a path prefix with http.StripPrefix.
//
// It follows Okta's public API documentation: GET /api/v1/users/{id} (by id
// or login) and GET /api/v1/users?limit=&after= (paged with Link headers,
// rel="self" and rel="next"), POST /api/v1/users/{id} (partial profile
// update, see updateProfile), authorised with "Authorization: SSWS
// <token>"; errors in Okta's shape ({"errorCode","errorSummary",
// "errorLink","errorId","errorCauses"}): 401 E0000011 for a missing or
// wrong token, 404 E0000007 for an unknown user, 429 E0000047 when
// throttled. Every answer carries X-Rate-Limit-Limit, -Remaining and
// -Reset (epoch seconds); Okta sends no Retry-After. OAuth 2.0 for service
// apps (see oauth.go): POST /oauth2/v1/token with client_credentials and
// a private_key_jwt assertion, then "Authorization: Bearer <token>" with
// okta.users.read / okta.users.manage. It is not an Okta emulator: no
// search, no filters, no DPoP.
package okta

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// RateLimit is the X-Rate-Limit-Limit the fake reports (Okta's default for
// the Users API on many orgs).
const RateLimit = 600

// Fake serves an Okta org's Users API from memory. It is safe for
// concurrent use.
type Fake struct {
	token string
	mux   *http.ServeMux
	now   func() time.Time

	mu       sync.Mutex
	users    map[string]map[string]any // by id
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
	updates  []Update        // partial profile updates applied, oldest first
	apps     map[string]serviceApp
	tokens   map[string]accessToken
	jtis     map[string]bool // client assertions seen
	issued   int
}

// NewFake returns a Fake that accepts one API token.
func NewFake(apiToken string) *Fake {
	f := &Fake{token: apiToken, now: time.Now, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("GET /api/v1/users/{id}", f.user)
	f.mux.HandleFunc("GET /api/v1/users", f.list)
	f.mux.HandleFunc("POST /api/v1/users/{id}", f.updateProfile)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	reset := f.now().Add(time.Minute).Unix()
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(RateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(RateLimit-1))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
	if fl, ok := f.failures.Next(); ok {
		if fl.Status == http.StatusTooManyRequests {
			h.Set("X-Rate-Limit-Remaining", "0")
			h.Set("X-Rate-Limit-Reset", strconv.FormatInt(f.now().Add(fl.RetryAfter).Unix(), 10))
			writeError(w, fl.Status, "E0000047", "API call exceeded rate limit due to too many requests.")
			return
		}
		writeError(w, fl.Status, "E0000009", "Internal Server Error")
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/oauth2/v1/token" {
		f.issueToken(w, r)
		return
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if f.bearer(w, r, tok) {
			f.mux.ServeHTTP(w, r)
		}
		return
	}
	if !f.authorised(r) {
		writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return
	}
	f.mux.ServeHTTP(w, r)
}

func (f *Fake) authorised(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "SSWS ")
	return ok && tok != "" && tok == f.token
}

// FailNext answers the next n requests with status: 429 as Okta throttles
// (X-Rate-Limit-Reset retryAfter from now), anything else as a server error.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path ("/api/v1/users/<id>").
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// SetClock sets the clock the rate-limit headers are computed from.
func (f *Fake) SetClock(now func() time.Time) { f.now = now }

// PutUser seeds a user as raw Okta JSON; user["id"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["id"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a user from a canonical profile, in Okta's attribute names.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user, as a completed deletion does.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as Okta's user object.
func UserJSON(p *profile.Profile) map[string]any {
	prof := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			prof[k] = v
		}
	}
	login := p.PreferredUsername
	if login == "" {
		login = p.Email
	}
	set("login", login)
	set("email", p.Email)
	set("firstName", p.GivenName)
	set("lastName", p.FamilyName)
	set("middleName", p.MiddleName)
	set("displayName", p.Name)
	set("nickName", p.Nickname)
	set("mobilePhone", p.PhoneNumber)
	set("locale", strings.ReplaceAll(p.Locale, "-", "_"))
	set("timezone", p.Zoneinfo)
	if a := p.Address; a != nil {
		set("streetAddress", a.StreetAddress)
		set("city", a.Locality)
		set("state", a.Region)
		set("zipCode", a.PostalCode)
		set("countryCode", a.Country)
	}
	for k, v := range p.Custom {
		prof[k] = v
	}
	updated := "2025-01-01T10:00:00.000Z"
	if p.UpdatedAt != nil {
		updated = p.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	u := map[string]any{
		"id": p.Sub, "status": "ACTIVE", "created": updated, "activated": updated,
		"statusChanged": updated, "lastUpdated": updated, "type": map[string]any{"id": "oty1abcdEFGH2345ijk6"},
		"profile": prof,
		"credentials": map[string]any{
			"provider": map[string]any{"type": "OKTA", "name": "OKTA"},
		},
	}
	if p.Email != "" {
		st := "UNVERIFIED"
		if p.EmailVerified {
			st = "VERIFIED"
		}
		u["credentials"].(map[string]any)["emails"] = []any{map[string]any{"value": p.Email, "status": st, "type": "PRIMARY"}}
	}
	return u
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f.mu.Lock()
	u, ok := f.users[id]
	if !ok { // Okta also finds a user by login
		for _, c := range f.users {
			if p, _ := c["profile"].(map[string]any); p != nil && p["login"] == id {
				u, ok = c, true
				break
			}
		}
	}
	if ok {
		u = withLinks(u, baseURL(r))
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "E0000007", fmt.Sprintf("Not found: Resource not found: %s (User)", id))
		return
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, u)
}

// list pages users in id order: limit (default 200, at most 200) and the
// opaque cursor after, which is the last id of the previous page.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	limit := 200
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit")
			return
		}
		limit = min(n, 200)
	}
	after := r.URL.Query().Get("after")
	base := baseURL(r)
	f.mu.Lock()
	ids := make([]string, 0, len(f.users))
	for id := range f.users {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	page := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		page = append(page, withLinks(f.users[id], base))
	}
	f.mu.Unlock()
	self := fmt.Sprintf("%s/api/v1/users?limit=%d", base, limit)
	if after != "" {
		self += "&after=" + after
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if more {
		w.Header().Add("Link", fmt.Sprintf(`<%s/api/v1/users?after=%s&limit=%d>; rel="next"`, base, ids[len(ids)-1], limit))
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, page)
}

// baseURL is the org URL as the caller reached it, mount prefix included
// (RequestURI keeps what http.StripPrefix removed from URL.Path).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if i := strings.Index(path, "/api/v1/"); i >= 0 {
		path = path[:i]
	}
	return scheme + "://" + r.Host + path
}

func withLinks(u map[string]any, base string) map[string]any {
	out := fakekit.CopyMap(u)
	out["_links"] = map[string]any{"self": map[string]any{"href": base + "/api/v1/users/" + fmt.Sprint(u["id"])}}
	return out
}

func writeError(w http.ResponseWriter, status int, code, summary string) {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	fakekit.WriteJSON(w, "application/json", status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + hex.EncodeToString(b)[:19], "errorCauses": []any{},
	})
}
