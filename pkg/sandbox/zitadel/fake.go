// Package zitadel is an in-memory stand-in for the part of a ZITADEL
// instance ProfileSync calls: the User Service v2 read, GET
// /v2/users/{userId}, authorized with a service user's personal access
// token (Authorization: Bearer <PAT>). Tests use it through httptest; the
// local stack mounts it under a path prefix with http.StripPrefix.
//
// It follows ZITADEL's API reference: the response is {"details":{…},
// "user":{userId, state, username, loginNames, preferredLoginName,
// human:{profile, email, phone}}}; errors are gRPC-gateway bodies
// {"code":<gRPC code>,"message":"…","details":[…]} with 401 (code 16) for
// a missing or unknown token and 404 (code 5, QUERY-Dfbg2) for an unknown
// user. It is not a ZITADEL emulator: no organizations, no permissions.
package zitadel

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Fake serves one instance's users from memory. It is safe for concurrent use.
type Fake struct {
	token string
	mux   *http.ServeMux

	mu       sync.Mutex
	users    map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
}

// NewFake returns a Fake that accepts one personal access token.
func NewFake(token string) *Fake {
	f := &Fake{token: token, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("GET /v2/users/{userId}", f.user)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if f.failures.Answer(w, func(w http.ResponseWriter, fl fakekit.Failure) {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		code := 14 // UNAVAILABLE
		if fl.Status == http.StatusTooManyRequests {
			code = 8 // RESOURCE_EXHAUSTED
		}
		writeJSON(w, fl.Status, grpcError(code, http.StatusText(fl.Status), "SANDBOX-inject"))
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

// PutUser seeds a user as the raw v2 "user" object; user["userId"] is set to id.
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["userId"] = id
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

// Put seeds a human user from a canonical profile.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, UserJSON(p)) }

// Delete removes a user.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// UserJSON renders p as ZITADEL's v2 human user.
func UserJSON(p *profile.Profile) map[string]any {
	username := p.PreferredUsername
	if username == "" {
		username = p.Email
	}
	prof := map[string]any{"givenName": p.GivenName, "familyName": p.FamilyName}
	if p.Name != "" {
		prof["displayName"] = p.Name
	}
	if p.Nickname != "" {
		prof["nickName"] = p.Nickname
	}
	if p.Locale != "" {
		prof["preferredLanguage"] = p.Locale
	}
	if p.Gender != "" {
		prof["gender"] = "GENDER_" + strings.ToUpper(p.Gender)
	}
	human := map[string]any{"profile": prof, "email": map[string]any{"email": p.Email, "isVerified": p.EmailVerified}}
	if p.PhoneNumber != "" {
		human["phone"] = map[string]any{"phone": p.PhoneNumber, "isVerified": p.PhoneNumberVerified}
	}
	return map[string]any{"userId": p.Sub, "state": "USER_STATE_ACTIVE", "username": username,
		"loginNames": []string{username}, "preferredLoginName": username, "human": human}
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	u, found := f.users[r.PathValue("userId")]
	f.mu.Unlock()
	if !strings.HasPrefix(h, prefix) || h[len(prefix):] != f.token || f.token == "" {
		writeJSON(w, http.StatusUnauthorized, grpcError(16, "Errors.Token.Invalid (AUTH-7fs1e)", "AUTH-7fs1e"))
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, grpcError(5, "User could not be found (QUERY-Dfbg2)", "QUERY-Dfbg2"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"details": map[string]any{"sequence": "2", "changeDate": "2025-01-01T10:00:00.123456Z", "resourceOwner": "336392597046099971"},
		"user":    u,
	})
}

func grpcError(code int, msg, id string) map[string]any {
	return map[string]any{"code": code, "message": msg, "details": []map[string]any{
		{"@type": "type.googleapis.com/zitadel.v1.ErrorDetail", "id": id, "message": msg}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}
