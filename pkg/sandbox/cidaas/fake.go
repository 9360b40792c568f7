// Package cidaas is an in-memory stand-in for the parts of a cidaas tenant
// ProfileSync calls: the client-credentials token endpoint and the user read.
// Tests use it through httptest; the local dev stack mounts it under a path
// prefix with http.StripPrefix, so it serves paths relative to its root.
//
// It follows the vendor API as far as it is documented: POST
// /token-srv/token (form client credentials, RFC 6749 errors with 401
// invalid_client), GET /users-srv/user/{sub} with a Bearer token (401 on a
// missing, unknown or expired token, 404 for an unknown sub). Successful user
// reads use cidaas's {"success","status","data"} envelope (UNCONFIRMED for
// this endpoint). PUT /user-srv/users/{sub} is the documented admin update
// of customFields (see adminUpdate), POST /user-srv/graph/users the
// documented user search, as far as paging needs it (see graphUsers). It
// is not a cidaas emulator: no scopes, no roles, no field settings.
package cidaas

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// timeLayout is how cidaas writes createdTime and updatedTime.
const timeLayout = "2006-01-02T15:04:05.000Z"

// DefaultTokenTTL is the expires_in of issued tokens unless TokenTTL is set.
const DefaultTokenTTL = time.Hour

// Fake serves a cidaas tenant's token and user endpoints from memory. It is
// safe for concurrent use.
type Fake struct {
	clientID, clientSecret string
	mux                    *http.ServeMux

	mu       sync.Mutex
	tokenTTL time.Duration
	tokens   map[string]bool // issued token → still valid
	users    map[string]map[string]any
	seq      map[string]int                    // sub → creation order, ties of createdTime (see graphUsers)
	failures fakekit.Injector[fakekit.Failure] // FailNext replaces, not queues
	calls    fakekit.Counter                   // by request path
	updates  []Update                          // admin updates applied, oldest first
	onUpdate func(sub string)                  // see OnAdminUpdate
}

// NewFake returns a Fake that accepts one API client.
func NewFake(clientID, clientSecret string) *Fake {
	f := &Fake{
		clientID: clientID, clientSecret: clientSecret,
		tokenTTL: DefaultTokenTTL,
		tokens:   map[string]bool{},
		users:    map[string]map[string]any{},
		seq:      map[string]int{},
	}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /token-srv/token", f.token)
	f.mux.HandleFunc("GET /users-srv/user/{sub}", f.user)
	f.mux.HandleFunc("PUT /users-srv/user/{sub}", f.updateUser)
	f.mux.HandleFunc("PUT /user-srv/users/{sub}", f.adminUpdate)
	f.mux.HandleFunc("POST /user-srv/graph/users", f.graphUsers)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if fl, ok := f.failures.Next(); ok {
		// Truncated to whole seconds, as this fake has always sent it;
		// fakekit.SetRetryAfter would round.
		if fl.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(fl.RetryAfter/time.Second)))
		}
		writeJSON(w, fl.Status, apiError(fl.Status, "injected_failure", http.StatusText(fl.Status)))
		return
	}
	f.mux.ServeHTTP(w, r)
}

// SetTokenTTL sets the expires_in of tokens issued from now on.
func (f *Fake) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenTTL = d
}

// ExpireTokens makes every token issued so far fail with 401, as cidaas
// does for an expired or revoked token.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t := range f.tokens {
		f.tokens[t] = false
	}
}

// FailNext answers the next n requests, to any path, with status; a
// non-zero retryAfter adds a Retry-After header in whole seconds.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Replace(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path ("/token-srv/token",
// "/users-srv/user/<sub>"), injected failures included.
func (f *Fake) Calls(path string) int {
	return f.calls.Get(path)
}

// TokenCalls is Calls("/token-srv/token").
func (f *Fake) TokenCalls() int { return f.Calls("/token-srv/token") }

// PutUser seeds a user as raw cidaas JSON fields; user["sub"] is set to
// sub, and createdTime to now unless user has one or sub was seeded
// before (then it keeps the old one).
func (f *Fake) PutUser(sub string, user map[string]any) {
	u := make(map[string]any, len(user)+1)
	for k, v := range user {
		u[k] = v
	}
	u["sub"] = sub
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := u["createdTime"]; !ok {
		if old, ok := f.users[sub]; ok && old["createdTime"] != nil {
			u["createdTime"] = old["createdTime"]
		} else {
			u["createdTime"] = time.Now().UTC().Format(timeLayout)
		}
	}
	if _, ok := f.seq[sub]; !ok {
		f.seq[sub] = len(f.seq) + 1
	}
	f.users[sub] = u
}

// Put seeds a user from a canonical profile, in cidaas field names.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user.
func (f *Fake) Delete(sub string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, sub)
}

// UserJSON renders p the way the fake (and, as assumed, cidaas) returns it.
func UserJSON(p *profile.Profile) map[string]any {
	u := map[string]any{"sub": p.Sub}
	set := func(k, v string) {
		if v != "" {
			u[k] = v
		}
	}
	set("email", p.Email)
	set("given_name", p.GivenName)
	set("family_name", p.FamilyName)
	set("middle_name", p.MiddleName)
	set("name", p.Name)
	set("preferred_username", p.PreferredUsername)
	set("picture", p.Picture)
	set("gender", p.Gender)
	set("birthdate", p.Birthdate)
	set("locale", p.Locale)
	set("mobile_number", p.PhoneNumber)
	u["email_verified"] = p.EmailVerified
	if p.PhoneNumber != "" {
		u["mobile_number_verified"] = p.PhoneNumberVerified
	}
	if p.UpdatedAt != nil {
		u["updatedTime"] = p.UpdatedAt.UTC().Format(timeLayout)
	}
	if p.Address != nil {
		u["address"] = p.Address
	}
	if len(p.Custom) > 0 {
		u["customFields"] = p.Custom
	}
	if len(p.Consents) > 0 {
		cs := map[string]any{}
		for name, c := range p.Consents {
			cs[name] = map[string]any{"accepted": c.Granted}
		}
		u["consents"] = cs
	}
	return u
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "unreadable form"))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError("unsupported_grant_type", "only client_credentials is served"))
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || secret != f.clientSecret || id == "" {
		writeJSON(w, http.StatusUnauthorized, oauthError("invalid_client", "client authentication failed"))
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = true
	ttl := f.tokenTTL
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer",
		"expires_in": int(ttl / time.Second), "scope": "cidaas:users_read",
	})
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	valid := len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]
	u, found := f.users[r.PathValue("sub")]
	f.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, apiError(http.StatusUnauthorized, "invalid_token", "access token missing, unknown or expired"))
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, apiError(http.StatusNotFound, "user_not_found", "no user with this sub"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": http.StatusOK, "data": u})
}

// updateUser is the users API's update: the fields of the JSON object
// sent replace the user's (a field set to null is removed); sub stays.
// `profilesync send` uses it to change the sandbox user before it sends a
// thin ACCOUNT_MODIFIED, as an admin editing the profile would.
func (f *Fake) updateUser(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	var change map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&change); err != nil || change == nil {
		writeJSON(w, http.StatusBadRequest, apiError(http.StatusBadRequest, "invalid_body", "a JSON object of user fields"))
		return
	}
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !(len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, apiError(http.StatusUnauthorized, "invalid_token", "access token missing, unknown or expired"))
		return
	}
	sub := r.PathValue("sub")
	u, found := f.users[sub]
	if !found {
		writeJSON(w, http.StatusNotFound, apiError(http.StatusNotFound, "user_not_found", "no user with this sub"))
		return
	}
	next := make(map[string]any, len(u)+len(change))
	for k, v := range u {
		next[k] = v
	}
	for k, v := range change {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	next["sub"] = sub
	f.users[sub] = next
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": http.StatusOK, "data": true})
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

func apiError(status int, code, msg string) map[string]any {
	return map[string]any{"success": false, "status": status, "error": map[string]any{"code": code, "error": msg}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}
