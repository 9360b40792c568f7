// Package fusionauth is an in-memory stand-in for the part of a FusionAuth
// instance ProfileSync calls: the User API read, GET /api/user/{userId},
// authorized with an API key sent raw in Authorization (no scheme). Tests
// use it through httptest; the local stack mounts it under a path prefix
// with http.StripPrefix.
//
// It follows FusionAuth's API reference: 200 with {"user":{…}}; 401 with
// an empty body for a missing or wrong key; 404 with an empty body for an
// unknown user; a key bound to a tenant (SetTenant) answers 401 to any
// other X-FusionAuth-TenantId. PATCH /api/user/{userId} applies a JSON
// merge patch (RFC 7396) to the user (see patchUser). It is not a FusionAuth emulator: no
// registrations API, no search, no permissions beyond the key.
package fusionauth

import (
	"net/http"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Fake serves one instance's users from memory. It is safe for concurrent use.
type Fake struct {
	apiKey string
	mux    *http.ServeMux

	mu       sync.Mutex
	tenant   string
	users    map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
	updates  []Update        // merge patches applied, oldest first
}

// NewFake returns a Fake that accepts one API key.
func NewFake(apiKey string) *Fake {
	f := &Fake{apiKey: apiKey, users: map[string]map[string]any{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("GET /api/user/{userId}", f.user)
	f.mux.HandleFunc("PATCH /api/user/{userId}", f.patchUser)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if f.failures.Answer(w, func(w http.ResponseWriter, fl fakekit.Failure) {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		w.WriteHeader(fl.Status)
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

// SetTenant binds the key to a tenant: a request naming another tenant in
// X-FusionAuth-TenantId is refused.
func (f *Fake) SetTenant(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tenant = id
}

// PutUser seeds a user as the raw User object; user["id"] is set to id.
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

// UserJSON renders p as FusionAuth's User object.
func UserJSON(p *profile.Profile) map[string]any {
	u := map[string]any{"id": p.Sub, "email": p.Email, "firstName": p.GivenName, "lastName": p.FamilyName,
		"verified": p.EmailVerified, "active": true, "tenantId": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
		"insertInstant": 1735725600000, "lastUpdateInstant": 1735725600000, "usernameStatus": "ACTIVE"}
	opt := map[string]string{"username": p.PreferredUsername, "middleName": p.MiddleName, "fullName": p.Name,
		"birthDate": p.Birthdate, "mobilePhone": p.PhoneNumber, "imageUrl": p.Picture, "timezone": p.Zoneinfo}
	for k, v := range opt {
		if v != "" {
			u[k] = v
		}
	}
	if p.Locale != "" {
		u["preferredLanguages"] = []string{p.Locale}
	}
	return u
}

func (f *Fake) user(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	u, found := f.users[r.PathValue("userId")]
	tenant := f.tenant
	f.mu.Unlock()
	if f.apiKey == "" || r.Header.Get("Authorization") != f.apiKey {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if t := r.Header.Get("X-FusionAuth-TenantId"); tenant != "" && t != "" && t != tenant {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !found {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"user": u})
}
