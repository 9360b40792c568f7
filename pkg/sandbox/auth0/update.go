package auth0

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Update is one user PATCH the fake applied: the user id and the body as
// sent.
type Update struct {
	UserID string
	Body   map[string]any
}

// Updates returns the user PATCHes applied so far, oldest first; refused
// ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, Body: maps.Clone(u.Body)}
	}
	return out
}

// readOnly are root attributes a PATCH cannot set.
var readOnly = map[string]bool{"user_id": true, "identities": true, "created_at": true, "updated_at": true}

// patchUser is the Management API's "Update a user": root attributes sent
// are set (null removes one); user_metadata and app_metadata merge at
// their root only (a key replaces the stored one whole, null removes it)
// and an empty object clears them. A body that is not a JSON object,
// metadata that is not an object and read-only attributes are 400
// invalid_body, an unknown user 404 inexistent_user, after the 401 check.
func (f *Fake) patchUser(w http.ResponseWriter, r *http.Request) {
	f.rateHeaders(w, RateLimit-1, f.now().Add(time.Second))
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if !(len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]) {
		writeError(w, http.StatusUnauthorized, "", "Invalid token")
		return
	}
	var body map[string]any
	if readErr != nil || json.Unmarshal(raw, &body) != nil || body == nil {
		writeError(w, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Invalid JSON'.")
		return
	}
	for k, v := range body {
		if readOnly[k] {
			writeError(w, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Additional properties not allowed: "+k+"'.")
			return
		}
		if _, ok := v.(map[string]any); (k == "user_metadata" || k == "app_metadata") && !ok {
			writeError(w, http.StatusBadRequest, "invalid_body", "Payload validation error: 'Expected type object' on property "+k+".")
			return
		}
	}
	id := r.PathValue("id")
	u, found := f.users[id]
	if !found {
		writeError(w, http.StatusNotFound, "inexistent_user", "The user does not exist.")
		return
	}
	next := maps.Clone(u)
	for k, v := range body {
		switch {
		case k == "user_metadata" || k == "app_metadata":
			change := v.(map[string]any)
			if len(change) == 0 {
				next[k] = map[string]any{}
				continue
			}
			old, _ := next[k].(map[string]any)
			merged := fakekit.CopyMap(old)
			for mk, mv := range change {
				if mv == nil {
					delete(merged, mk)
				} else {
					merged[mk] = mv
				}
			}
			next[k] = merged
		case v == nil:
			delete(next, k)
		default:
			next[k] = v
		}
	}
	next["updated_at"] = f.now().UTC().Format("2006-01-02T15:04:05.000Z")
	f.users[id] = next
	f.updates = append(f.updates, Update{UserID: id, Body: body})
	fakekit.WriteJSON(w, "application/json", http.StatusOK, next)
}
