// Package auth0 is an in-memory stand-in for the part of an Auth0 tenant
// ProfileSync calls: the client-credentials token endpoint and the
// Management API's user read. Tests use it through httptest; the local stack
// mounts it under a path prefix with http.StripPrefix.
//
// It follows Auth0's public documentation: POST /oauth/token (JSON or form
// body; grant_type client_credentials with client_id, client_secret and the
// Management API audience; 401 access_denied "Unauthorized" for a wrong
// client, 403 access_denied for another audience), GET /api/v2/users/{id}
// with a Bearer token (401 "Invalid token", 404 errorCode inexistent_user),
// PATCH /api/v2/users/{id} (root attributes set, metadata merged at its
// root, see patchUser), errors as {"statusCode","error","message","errorCode"}, and the
// x-ratelimit-limit / -remaining / -reset headers on every Management API
// answer (429 errorCode too_many_requests when throttled). It is not an
// Auth0 emulator: no scopes, no search, no list, no connection rules.
package auth0

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// TokenTTL is the expires_in of issued tokens (Auth0's default, 24 h).
const TokenTTL = 24 * time.Hour

// RateLimit is the x-ratelimit-limit the fake reports.
const RateLimit = 50

// Fake serves an Auth0 tenant's token endpoint and user read. It is safe
// for concurrent use.
type Fake struct {
	clientID, clientSecret string
	mux                    *http.ServeMux
	now                    func() time.Time

	mu       sync.Mutex
	audience string          // "" accepts <the caller's base>/api/v2/
	tokens   map[string]bool // issued → still valid
	users    map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter
	updates  []Update // user PATCHes applied, oldest first
}

// NewFake returns a Fake that accepts one machine-to-machine client.
func NewFake(clientID, clientSecret string) *Fake {
	f := &Fake{clientID: clientID, clientSecret: clientSecret, now: time.Now,
		tokens: map[string]bool{}, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /oauth/token", f.token)
	f.mux.HandleFunc("GET /api/v2/users/{id}", f.user)
	f.mux.HandleFunc("PATCH /api/v2/users/{id}", f.patchUser)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if fl, ok := f.failures.Next(); ok {
		if fl.Status == http.StatusTooManyRequests {
			f.rateHeaders(w, 0, f.now().Add(fl.RetryAfter))
			writeError(w, fl.Status, "too_many_requests", "Global limit has been reached")
			return
		}
		writeError(w, fl.Status, "", http.StatusText(fl.Status))
		return
	}
	f.mux.ServeHTTP(w, r)
}

func (f *Fake) rateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-Ratelimit-Limit", strconv.Itoa(RateLimit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

// FailNext answers the next n requests with status: 429 as Auth0 throttles
// (x-ratelimit-reset retryAfter from now, no Retry-After), others as errors.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path.
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// TokenCalls is Calls("/oauth/token").
func (f *Fake) TokenCalls() int { return f.Calls("/oauth/token") }

// SetAudience makes the token endpoint accept only aud.
func (f *Fake) SetAudience(aud string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audience = aud
}

// ExpireTokens makes every token issued so far fail with 401.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t := range f.tokens {
		f.tokens[t] = false
	}
}

// PutUser seeds a user as raw Auth0 JSON; user["user_id"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["user_id"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a user from a canonical profile, in Auth0's attribute names.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as Auth0's user object.
func UserJSON(p *profile.Profile) map[string]any {
	updated := "2025-01-01T10:00:00.000Z"
	if p.UpdatedAt != nil {
		updated = p.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	u := map[string]any{"user_id": p.Sub, "email_verified": p.EmailVerified, "created_at": updated, "updated_at": updated,
		"identities":    []any{map[string]any{"connection": "Username-Password-Authentication", "provider": "auth0", "isSocial": false}},
		"user_metadata": map[string]any{}, "app_metadata": map[string]any{}}
	for k, v := range map[string]string{"email": p.Email, "name": p.Name, "given_name": p.GivenName, "family_name": p.FamilyName,
		"nickname": p.Nickname, "picture": p.Picture, "phone_number": p.PhoneNumber, "username": p.PreferredUsername} {
		if v != "" {
			u[k] = v
		}
	}
	if p.PhoneNumber != "" {
		u["phone_verified"] = p.PhoneNumberVerified
	}
	if len(p.Custom) > 0 {
		u["user_metadata"] = p.Custom
	}
	return u
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Audience     string `json:"audience"`
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		if json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in) != nil {
			writeOAuth(w, http.StatusBadRequest, "invalid_request", "Invalid JSON body")
			return
		}
	} else if r.ParseForm() == nil {
		in.GrantType, in.ClientID, in.ClientSecret, in.Audience = r.PostForm.Get("grant_type"),
			r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("audience")
	}
	if in.GrantType != "client_credentials" {
		writeOAuth(w, http.StatusForbidden, "unauthorized_client", "Grant type '"+in.GrantType+"' not allowed for the client.")
		return
	}
	if in.ClientID == "" || in.ClientID != f.clientID || in.ClientSecret != f.clientSecret {
		writeOAuth(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
		return
	}
	f.mu.Lock()
	want := f.audience
	f.mu.Unlock()
	if want == "" {
		want = baseURL(r) + "/api/v2/"
	}
	if in.Audience != want {
		writeOAuth(w, http.StatusForbidden, "access_denied", "Service not enabled within domain: "+in.Audience)
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"access_token": tok, "scope": "read:users",
		"expires_in": int(TokenTTL / time.Second), "token_type": "Bearer"})
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	f.rateHeaders(w, RateLimit-1, f.now().Add(time.Second))
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	valid := len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]
	u, found := f.users[r.PathValue("id")]
	f.mu.Unlock()
	if !valid {
		writeError(w, http.StatusUnauthorized, "", "Invalid token")
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "inexistent_user", "The user does not exist.")
		return
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, u)
}

// baseURL is the tenant URL as the caller reached it, mount prefix
// included (RequestURI keeps what http.StripPrefix removed from URL.Path).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path, _, _ := strings.Cut(r.RequestURI, "/oauth/token")
	return scheme + "://" + r.Host + path
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": msg}
	if code != "" {
		body["errorCode"] = code
	}
	fakekit.WriteJSON(w, "application/json; charset=utf-8", status, body)
}

func writeOAuth(w http.ResponseWriter, status int, code, desc string) {
	fakekit.WriteJSON(w, "application/json", status, map[string]any{"error": code, "error_description": desc})
}
