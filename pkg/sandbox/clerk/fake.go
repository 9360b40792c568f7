// Package clerk is an in-memory stand-in for the part of Clerk's Backend
// API ProfileSync calls: GET /v1/users/{user_id} (the profile fetch),
// PATCH /v1/users/{user_id}/metadata (the write-back of custom
// attributes) and GET /v1/users (the paged list, see listUsers), all
// with the instance's secret key as a Bearer token.
// It serves paths relative to its root, so a test or the local stack can
// mount it under a prefix with http.StripPrefix.
//
// It follows Clerk's documentation: the metadata PATCH deep-merges each
// of public_metadata, private_metadata and unsafe_metadata into the
// stored one and a null removes a key at any level; errors are
// {"errors":[{"message","long_message","code"}]} with 401 for a bad key,
// 404 for an unknown user, 400 for a body that is not JSON and 422 for
// metadata that is not an object. It is not a Clerk emulator: no
// sessions, no organizations, no user creation over the API.
package clerk

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Fake serves a Clerk instance's users from memory. It is safe for
// concurrent use.
type Fake struct {
	secretKey string
	mux       *http.ServeMux
	now       func() time.Time

	mu       sync.Mutex
	users    map[string]map[string]any
	seq      map[string]int // user id → creation order, ties of created_at (see listUsers)
	updates  []Update
	failures fakekit.Injector[fakekit.Failure]
	calls    fakekit.Counter // by request path
}

// NewFake returns a Fake that accepts secretKey (sk_test_...) as Bearer.
func NewFake(secretKey string) *Fake {
	f := &Fake{secretKey: secretKey, now: time.Now, users: map[string]map[string]any{}, seq: map[string]int{}}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("GET /v1/users", f.listUsers)
	f.mux.HandleFunc("GET /v1/users/{user_id}", f.getUser)
	f.mux.HandleFunc("PATCH /v1/users/{user_id}/metadata", f.patchMetadata)
	return f
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if fl, ok := f.failures.Next(); ok {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		writeError(w, fl.Status, "injected_failure", http.StatusText(fl.Status))
		return
	}
	f.mux.ServeHTTP(w, r)
}

// FailNext answers the next n requests, to any path, with status; a
// non-zero retryAfter adds a Retry-After header in whole seconds.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Add(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path ("/v1/users/<id>",
// "/v1/users/<id>/metadata"), injected failures included.
func (f *Fake) Calls(path string) int { return f.calls.Get(path) }

// PutUser seeds a raw Clerk User object; user["id"] is set to id, and
// created_at (epoch ms) to now unless user has one or id was seeded
// before (then it keeps the old one).
func (f *Fake) PutUser(id string, user map[string]any) {
	u := fakekit.CopyMap(user)
	u["id"], u["object"] = id, "user"
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := u["created_at"]; !ok {
		if old, ok := f.users[id]; ok {
			u["created_at"] = old["created_at"]
		} else {
			u["created_at"] = f.now().UnixMilli()
		}
	}
	if _, ok := f.seq[id]; !ok {
		f.seq[id] = len(f.seq)
	}
	f.users[id] = u
}

// Delete removes a user.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

// Put seeds a user from a canonical profile: names, the primary e-mail
// and phone, and Custom's public_metadata, unsafe_metadata and
// external_id, as the source adapter reads them back.
func (f *Fake) Put(p *profile.Profile) { f.PutUser(p.Sub, User(p)) }

// User renders p as a Clerk User object.
func User(p *profile.Profile) map[string]any {
	u := map[string]any{"id": p.Sub, "object": "user", "first_name": nilIfEmpty(p.GivenName), "last_name": nilIfEmpty(p.FamilyName),
		"username": nilIfEmpty(p.PreferredUsername), "public_metadata": map[string]any{}, "private_metadata": map[string]any{},
		"unsafe_metadata": map[string]any{}, "email_addresses": []any{}, "phone_numbers": []any{},
		"primary_email_address_id": nil, "primary_phone_number_id": nil}
	status := func(ok bool) map[string]any {
		if ok {
			return map[string]any{"status": "verified"}
		}
		return map[string]any{"status": "unverified"}
	}
	if p.Email != "" {
		u["email_addresses"] = []any{map[string]any{"id": "idn_email", "object": "email_address", "email_address": p.Email, "verification": status(p.EmailVerified)}}
		u["primary_email_address_id"] = "idn_email"
	}
	if p.PhoneNumber != "" {
		u["phone_numbers"] = []any{map[string]any{"id": "idn_phone", "object": "phone_number", "phone_number": p.PhoneNumber, "verification": status(p.PhoneNumberVerified)}}
		u["primary_phone_number_id"] = "idn_phone"
	}
	for _, k := range []string{"public_metadata", "unsafe_metadata"} {
		if m, ok := p.Custom[k].(map[string]any); ok {
			u[k] = fakekit.CopyMap(m)
		}
	}
	if s, ok := p.Custom["external_id"].(string); ok {
		u["external_id"] = s
	}
	if p.UpdatedAt != nil {
		u["updated_at"] = p.UpdatedAt.UnixMilli()
	}
	return u
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// authorized checks the Bearer secret key and answers 401 when it is wrong.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+f.secretKey || f.secretKey == "" {
		writeError(w, http.StatusUnauthorized, "authentication_invalid", "Invalid authentication")
		return false
	}
	return true
}

func (f *Fake) getUser(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	u, ok := f.users[r.PathValue("user_id")]
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "not found")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []any{map[string]any{"code": code, "message": msg, "long_message": msg}},
		"clerk_trace_id": "fake" + strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSON(w, "application/json", status, v)
}
