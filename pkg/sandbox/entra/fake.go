// Package entra is an in-memory stand-in for the part of Microsoft Entra
// and Microsoft Graph ProfileSync calls. Tests use it through httptest; the
// local stack mounts it under a path prefix (graph_url and login_url both
// point at the mount).
//
// It follows Microsoft's public documentation:
//   - POST /{tenant}/oauth2/v2.0/token: the client-credentials grant with
//     scope https://graph.microsoft.com/.default; errors in the identity
//     platform's shape ({"error","error_description","error_codes",...}):
//     401 invalid_client (AADSTS7000215) for a wrong secret, 400
//     invalid_request (AADSTS90002) for an unknown tenant, 400
//     invalid_scope (AADSTS70011) for another scope.
//   - GET /v1.0/users/{id} and GET /v1.0/users with $select and $top (1 to
//     999, default 100), paged by @odata.nextLink ($skiptoken); PATCH
//     /v1.0/users/{id} answered 204; errors in Graph's shape
//     ({"error":{"code","message","innerError":{date,request-id,
//     client-request-id}}}): 401 InvalidAuthenticationToken, 404
//     Request_ResourceNotFound, 400 Request_BadRequest, 429 TooManyRequests
//     with Retry-After.
//   - POST /v1.0/subscriptions and DELETE /v1.0/subscriptions/{id}, with
//     the validation request to the notificationUrl, and change
//     notifications posted to it (subscribe.go).
//
// It is not Graph: no $filter, $search, $expand or $count, no delta
// query, no deletedItems, no rich notifications, no JWT access tokens.
package entra

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Domain is the fake tenant's initial domain, in user principal names.
const Domain = "profilesyncdev.onmicrosoft.com"

// MaxTop is the largest $top Graph accepts on /users.
const MaxTop = 999

// defaultSelect is what Graph returns for a user without $select.
var defaultSelect = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// writable are the user properties a PATCH may set here (a subset of
// Graph's); directory extensions are writable once registered.
var writable = map[string]bool{
	"displayName": true, "givenName": true, "surname": true, "mail": true, "mobilePhone": true, "businessPhones": true,
	"streetAddress": true, "city": true, "state": true, "postalCode": true, "country": true, "preferredLanguage": true,
	"accountEnabled": true, "otherMails": true, "jobTitle": true,
}

// Fake serves a tenant's token endpoint and Graph users API from memory.
// It is safe for concurrent use.
type Fake struct {
	tenant, clientID, clientSecret string
	mux                            *http.ServeMux
	now                            func() time.Time
	notifier                       notifier

	mu         sync.Mutex
	users      map[string]map[string]any // by id
	tokens     map[string]time.Time      // access token → expiry
	extensions map[string]bool           // registered directory extension names
	subs       map[string]*subscription  // by id
	failures   fakekit.Injector[fakekit.Failure]
	calls      fakekit.Counter // by request path
	patches    []Patch
}

// NewFake returns a Fake of tenant that knows one app registration.
func NewFake(tenant, clientID, clientSecret string) *Fake {
	f := &Fake{tenant: tenant, clientID: clientID, clientSecret: clientSecret, now: time.Now,
		users: map[string]map[string]any{}, tokens: map[string]time.Time{}, extensions: map[string]bool{},
		subs: map[string]*subscription{}}
	f.notifier = newNotifier()
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	f.mux.HandleFunc("GET /v1.0/users/{id}", f.graph(f.user))
	f.mux.HandleFunc("GET /v1.0/users", f.graph(f.list))
	f.mux.HandleFunc("PATCH /v1.0/users/{id}", f.graph(f.patch))
	f.mux.HandleFunc("POST /v1.0/subscriptions", f.graph(f.subscribe))
	f.mux.HandleFunc("DELETE /v1.0/subscriptions/{id}", f.graph(f.unsubscribe))
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	f.mux.ServeHTTP(w, r)
}

// graph wraps a Graph handler with the injected failures and the bearer
// token check.
func (f *Fake) graph(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if fl, ok := f.failures.Next(); ok {
			if fl.Status == http.StatusTooManyRequests || fl.Status == http.StatusServiceUnavailable {
				fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
			}
			code := "TooManyRequests"
			if fl.Status != http.StatusTooManyRequests {
				code = "serviceNotAvailable"
			}
			writeError(w, fl.Status, code, "The request was throttled or the service is unavailable.")
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, known := f.tokens[tok]
		f.mu.Unlock()
		switch {
		case !ok || tok == "":
			writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		case !known || !f.now().Before(exp):
			writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		default:
			h(w, r)
		}
	}
}

// FailNext answers the next n Graph requests with status: 429 (and 503)
// with Retry-After retryAfter, anything else as a server error.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path ("/v1.0/users/<id>").
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// RevokeTokens forgets every access token issued, as a revoked session
// does before the tokens' expiry.
func (f *Fake) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// AddExtension registers directory extension properties of the app
// appID (a b2c-extensions-app) by their short names: they become
// readable with $select and writable with PATCH, as
// extension_<appID without dashes>_<name>.
func (f *Fake) AddExtension(appID string, names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range names {
		f.extensions[ExtensionName(appID, n)] = true
	}
}

// ExtensionName is Graph's name of a directory extension property.
func ExtensionName(appID, name string) string {
	return "extension_" + strings.ToLower(strings.ReplaceAll(appID, "-", "")) + "_" + name
}

// PutUser seeds a user as raw Graph JSON; user["id"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["id"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a user from a canonical profile, as an External ID customer
// who signed up with an e-mail address; Custom attributes become
// extensions of appID (skipped when appID is "").
func (f *Fake) Put(p *profile.Profile, appID string) { f.PutUser(p.Sub, UserJSON(p, appID)) }

// User returns a copy of the user the fake holds.
func (f *Fake) User(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, false
	}
	return fakekit.CopyMap(u), true
}

// Delete removes a user, as DELETE /users/{id} does (to deletedItems,
// which the fake does not keep).
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as a Graph user.
func UserJSON(p *profile.Profile, appID string) map[string]any {
	u := map[string]any{"id": p.Sub, "accountEnabled": true, "createdDateTime": "2025-01-01T10:00:00Z",
		"userPrincipalName": p.Sub + "@" + Domain, "businessPhones": []any{}, "otherMails": []any{}}
	set := func(k, v string) {
		if v != "" {
			u[k] = v
		}
	}
	name := p.Name
	if name == "" {
		name = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	}
	set("displayName", name)
	set("givenName", p.GivenName)
	set("surname", p.FamilyName)
	set("mail", p.Email)
	set("mobilePhone", p.PhoneNumber)
	set("preferredLanguage", p.Locale)
	if a := p.Address; a != nil {
		set("streetAddress", a.StreetAddress)
		set("city", a.Locality)
		set("state", a.Region)
		set("postalCode", a.PostalCode)
		set("country", a.Country)
	}
	if p.Email != "" {
		u["identities"] = []any{map[string]any{"signInType": "emailAddress", "issuer": Domain, "issuerAssignedId": p.Email}}
	}
	if appID != "" {
		for k, v := range p.Custom {
			u[ExtensionName(appID, k)] = v
		}
	}
	return u
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	sel, ok := f.selection(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	u, found := f.users[id]
	var out map[string]any
	if found {
		out = project(u, sel)
	}
	f.mu.Unlock()
	if !found {
		writeNotFound(w, id)
		return
	}
	out["@odata.context"] = baseURL(r) + "/v1.0/$metadata#users(" + strings.Join(sel, ",") + ")/$entity"
	fakekit.WriteJSON(w, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", http.StatusOK, out)
}

// list pages users in id order: $top (1 to 999, default 100) and
// $skiptoken, which encodes the last id of the previous page.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	sel, ok := f.selection(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	top := 100
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxTop {
			writeError(w, http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", s, MaxTop))
			return
		}
		top = n
	}
	after := ""
	if s := q.Get("$skiptoken"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
			return
		}
		after = string(b)
	}
	f.mu.Lock()
	ids := make([]string, 0, len(f.users))
	for id := range f.users {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	more := len(ids) > top
	if more {
		ids = ids[:top]
	}
	page := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		page = append(page, project(f.users[id], sel))
	}
	f.mu.Unlock()
	base := baseURL(r)
	out := map[string]any{"@odata.context": base + "/v1.0/$metadata#users(" + strings.Join(sel, ",") + ")", "value": page}
	if more {
		next := base + "/v1.0/users?$top=" + strconv.Itoa(top)
		if s := q.Get("$select"); s != "" {
			next += "&$select=" + url.QueryEscape(s)
		}
		out["@odata.nextLink"] = next + "&$skiptoken=" + base64.RawURLEncoding.EncodeToString([]byte(ids[len(ids)-1]))
	}
	fakekit.WriteJSON(w, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", http.StatusOK, out)
}

// selection is $select's properties, or the default set; an unknown
// extension property is refused as Graph refuses it.
func (f *Fake) selection(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	s := r.URL.Query().Get("$select")
	if s == "" {
		return defaultSelect, true
	}
	sel := strings.Split(s, ",")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range sel {
		if strings.HasPrefix(p, "extension_") && !f.extensions[p] {
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Could not find a property named '"+p+"' on type 'Microsoft.DirectoryServices.User'.")
			return nil, false
		}
	}
	return sel, true
}

// project copies the selected properties of u; id always comes, and an
// unset standard property comes as null, as Graph sends it.
func project(u map[string]any, sel []string) map[string]any {
	out := map[string]any{"id": u["id"]}
	for _, p := range sel {
		v, ok := u[p]
		if !ok && strings.HasPrefix(p, "extension_") {
			continue // Graph omits an extension that has no value
		}
		out[p] = v
	}
	return out
}

// baseURL is the Graph root as the caller reached it, mount prefix
// included (RequestURI keeps what http.StripPrefix removed).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if i := strings.Index(path, "/v1.0/"); i >= 0 {
		path = path[:i]
	}
	return scheme + "://" + r.Host + path
}

func writeNotFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

// writeError answers in Graph's error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	id := newID()
	fakekit.WriteJSON(w, "application/json", status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format("2006-01-02T15:04:05"), "request-id": id, "client-request-id": id},
	}})
}

// newID is a random GUID-shaped id.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
