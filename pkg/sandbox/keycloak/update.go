package keycloak

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
)

// Update is one user PUT the fake applied: the user's id and the
// attributes the representation carried (nil when it carried none).
type Update struct {
	UserID     string
	Attributes map[string][]string
}

// Updates returns the user PUTs applied so far, oldest first; refused
// ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, Attributes: maps.Clone(u.Attributes)}
	}
	return out
}

// putUser is the Admin API's "Update the user": each member of the
// UserRepresentation sent replaces the stored one; attributes are
// replaced whole, so an attribute the body leaves out is gone, which is
// why callers read, change and write back. A body that is not a JSON
// object, attributes that are not lists of strings and an id other than
// the path's are 400; 401 and 404 as for the read.
func (f *Fake) putUser(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if !(len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "HTTP 401 Unauthorized"})
		return
	}
	if r.PathValue("realm") != f.realm {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "Realm not found."})
		return
	}
	id := r.PathValue("id")
	u, found := f.users[id]
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "User not found"})
		return
	}
	var body map[string]any
	var typed struct {
		ID         *string             `json:"id"`
		Attributes map[string][]string `json:"attributes"`
	}
	if readErr != nil || json.Unmarshal(raw, &body) != nil || body == nil || json.Unmarshal(raw, &typed) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unknown_error"})
		return
	}
	if typed.ID != nil && *typed.ID != id {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errorMessage": "Cannot change the user id"})
		return
	}
	next := maps.Clone(u)
	for k, v := range body {
		next[k] = v
	}
	if typed.Attributes != nil {
		next["attributes"] = typed.Attributes
	}
	next["id"] = id
	f.users[id] = next
	f.updates = append(f.updates, Update{UserID: id, Attributes: typed.Attributes})
	w.WriteHeader(http.StatusNoContent)
}
