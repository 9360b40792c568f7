// Package keycloak is an in-memory stand-in for the parts of a Keycloak
// server ProfileSync calls: one realm's OpenID Connect token endpoint
// (client credentials) and the Admin REST API's user read. Tests use it
// through httptest; the local stack mounts it under a path prefix with
// http.StripPrefix, so it serves paths relative to its root (Keycloak 17+,
// without the legacy /auth prefix).
//
// It follows the Keycloak documentation and server behaviour:
//   - POST /realms/{realm}/protocol/openid-connect/token, form
//     grant_type=client_credentials with client_id/client_secret in the form
//     or in Basic auth; 401 {"error":"unauthorized_client",...} for a bad
//     client, 400 unsupported_grant_type, 404 {"error":"Realm does not
//     exist"} for another realm.
//   - GET /admin/realms/{realm}/users/{id} with a Bearer token: the
//     UserRepresentation; 401 {"error":"HTTP 401 Unauthorized"} without a
//     valid token, 404 {"error":"User not found"}.
//   - PUT /admin/realms/{realm}/users/{id}: the members of the
//     UserRepresentation sent replace the stored ones, attributes whole
//     (see putUser); 204.
//
// It is not a Keycloak emulator: no roles (a token reads every user), no
// token introspection, one realm.
package keycloak

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// TokenTTL is the expires_in of issued tokens (Keycloak's default access
// token lifespan is 5 minutes).
const TokenTTL = 5 * time.Minute

// Fake serves one realm from memory. It is safe for concurrent use.
type Fake struct {
	realm, clientID, clientSecret string
	mux                           *http.ServeMux

	mu       sync.Mutex
	tokens   map[string]bool // issued token → still valid
	users    map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
	updates  []Update        // user PUTs applied, oldest first
}

// NewFake returns a Fake of realm that accepts one confidential client
// with a service account.
func NewFake(realm, clientID, clientSecret string) *Fake {
	f := &Fake{realm: realm, clientID: clientID, clientSecret: clientSecret,
		tokens: map[string]bool{}, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /realms/{realm}/protocol/openid-connect/token", f.token)
	f.mux.HandleFunc("GET /admin/realms/{realm}/users/{id}", f.user)
	f.mux.HandleFunc("PUT /admin/realms/{realm}/users/{id}", f.putUser)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if f.failures.Answer(w, func(w http.ResponseWriter, fl fakekit.Failure) {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		writeJSON(w, fl.Status, map[string]any{"error": http.StatusText(fl.Status)})
	}) {
		return
	}
	f.mux.ServeHTTP(w, r)
}

// FailNext answers the next n requests, to any path, with status.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path, injected failures included.
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// ExpireTokens makes every token issued so far fail with 401.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t := range f.tokens {
		f.tokens[t] = false
	}
}

// PutUser seeds a user as a raw UserRepresentation; user["id"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["id"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a user from a canonical profile, as Keycloak would store it.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as a Keycloak UserRepresentation: the four built-in
// fields and, under attributes (lists of strings), what the declarative
// user profile would hold.
func UserJSON(p *profile.Profile) map[string]any {
	username := p.PreferredUsername
	if username == "" {
		username = p.Email
	}
	u := map[string]any{"id": p.Sub, "username": username, "enabled": true,
		"emailVerified": p.EmailVerified, "createdTimestamp": int64(1735725600000)}
	set := func(k, v string) {
		if v != "" {
			u[k] = v
		}
	}
	set("email", p.Email)
	set("firstName", p.GivenName)
	set("lastName", p.FamilyName)
	attrs := map[string][]string{}
	attr := func(k, v string) {
		if v != "" {
			attrs[k] = []string{v}
		}
	}
	attr("locale", p.Locale)
	attr("phoneNumber", p.PhoneNumber)
	attr("birthdate", p.Birthdate)
	if a := p.Address; a != nil {
		attr("street", a.StreetAddress)
		attr("locality", a.Locality)
		attr("region", a.Region)
		attr("postal_code", a.PostalCode)
		attr("country", a.Country)
	}
	keys := make([]string, 0, len(p.Custom))
	for k := range p.Custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s, ok := p.Custom[k].(string); ok {
			attr(k, s)
		}
	}
	if len(attrs) > 0 {
		u["attributes"] = attrs
	}
	return u
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("realm") != f.realm {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "Realm does not exist"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "unreadable form"))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "Unsupported grant_type"))
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || id != f.clientID || secret != f.clientSecret {
		writeJSON(w, http.StatusUnauthorized, oauthError("unauthorized_client", "Invalid client or Invalid client credentials"))
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(TokenTTL / time.Second), "refresh_expires_in": 0, "not-before-policy": 0, "scope": "profile email"})
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	valid := len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]
	u, found := f.users[r.PathValue("id")]
	f.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "HTTP 401 Unauthorized"})
		return
	}
	if r.PathValue("realm") != f.realm {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "Realm not found."})
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "User not found"})
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}
