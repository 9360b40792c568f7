// Package logto is an in-memory stand-in for the parts of a Logto tenant
// ProfileSync calls: the OIDC token endpoint for a machine-to-machine app
// and the Management API's user read. Tests use it through httptest; the
// local stack mounts it under a path prefix with http.StripPrefix.
//
// It follows Logto's documentation: POST /oidc/token with
// grant_type=client_credentials, the app in Basic auth (or the form), and
// resource=<the Management API indicator> and scope=all; oidc-provider's
// errors (401 invalid_client, 400 invalid_target for a wrong resource).
// GET /api/users/{userId} with the Bearer token answers the user entity;
// errors are Logto's {"message","code"} bodies: 401
// auth.authorization_header_missing / auth.unauthorized, 404
// entity.not_exists_with_id. PATCH /api/users/{userId}/custom-data merges
// customData at its top level; PATCH /api/users/{userId} replaces
// customData whole (see update.go). It is not a Logto emulator: no scopes beyond
// "all", no roles.
package logto

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// TokenTTL is the expires_in of issued tokens (Logto's default is an hour).
const TokenTTL = time.Hour

// Fake serves one tenant from memory. It is safe for concurrent use.
type Fake struct {
	appID, appSecret, resource string
	mux                        *http.ServeMux

	mu       sync.Mutex
	tokens   map[string]bool
	users    map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
	updates  []Update        // customData writes applied, oldest first
}

// NewFake returns a Fake with one M2M app allowed to call the Management
// API identified by resource (e.g. https://default.logto.app/api).
func NewFake(appID, appSecret, resource string) *Fake {
	f := &Fake{appID: appID, appSecret: appSecret, resource: resource,
		tokens: map[string]bool{}, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /oidc/token", f.token)
	f.mux.HandleFunc("GET /api/users/{userId}", f.user)
	f.mux.HandleFunc("PATCH /api/users/{userId}/custom-data", f.patchCustomData)
	f.mux.HandleFunc("PATCH /api/users/{userId}", f.patchUser)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if f.failures.Answer(w, func(w http.ResponseWriter, fl fakekit.Failure) {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		writeJSON(w, fl.Status, apiError(http.StatusText(fl.Status), "request.general"))
	}) {
		return
	}
	f.mux.ServeHTTP(w, r)
}

// FailNext answers the next n requests with status.
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

// PutUser seeds a user as a raw Logto user entity; user["id"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["id"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a user from a canonical profile.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as a Logto user entity: primaryEmail and primaryPhone
// (which Logto only sets once verified), name, and the OIDC profile.
func UserJSON(p *profile.Profile) map[string]any {
	prof := map[string]any{}
	set := func(m map[string]any, k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(prof, "givenName", p.GivenName)
	set(prof, "familyName", p.FamilyName)
	set(prof, "birthdate", p.Birthdate)
	set(prof, "locale", p.Locale)
	if a := p.Address; a != nil {
		addr := map[string]any{}
		set(addr, "streetAddress", a.StreetAddress)
		set(addr, "locality", a.Locality)
		set(addr, "postalCode", a.PostalCode)
		set(addr, "country", a.Country)
		prof["address"] = addr
	}
	u := map[string]any{"id": p.Sub, "username": nil, "primaryEmail": nil, "primaryPhone": nil, "name": nil, "avatar": nil,
		"customData": map[string]any{}, "identities": map[string]any{}, "profile": prof, "applicationId": nil,
		"isSuspended": false, "lastSignInAt": nil, "createdAt": int64(1735725600000), "updatedAt": int64(1735725600000)}
	if p.Email != "" {
		u["primaryEmail"] = p.Email
	}
	if p.PhoneNumber != "" {
		u["primaryPhone"] = strings.TrimPrefix(p.PhoneNumber, "+") // Logto stores digits only
	}
	if p.Name != "" {
		u["name"] = p.Name
	}
	if p.PreferredUsername != "" {
		u["username"] = p.PreferredUsername
	}
	if len(p.Custom) > 0 {
		u["customData"] = p.Custom
	}
	return u
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "unreadable form"))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "unsupported grant_type requested ("+gt+")"))
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || id != f.appID || secret != f.appSecret {
		writeJSON(w, http.StatusUnauthorized, oauthError("invalid_client", "client authentication failed"))
		return
	}
	if r.PostForm.Get("resource") != f.resource {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_target", "resource indicator is missing, or unknown"))
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(TokenTTL / time.Second), "scope": r.PostForm.Get("scope")})
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if h == "" {
		writeJSON(w, http.StatusUnauthorized, apiError("Authorization header is missing.", "auth.authorization_header_missing"))
		return
	}
	f.mu.Lock()
	valid := strings.HasPrefix(h, prefix) && f.tokens[h[len(prefix):]]
	u, found := f.users[r.PathValue("userId")]
	f.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, apiError("Unauthorized. Please check credentials and its scope.", "auth.unauthorized"))
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, apiError("The entity with ID `"+r.PathValue("userId")+"` does not exist.", "entity.not_exists_with_id"))
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

func apiError(msg, code string) map[string]any { return map[string]any{"message": msg, "code": code} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}
