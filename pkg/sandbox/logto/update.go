package logto

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
)

// Update is one customData write the fake applied: the user id, whether
// it replaced customData whole (PATCH /api/users/{id}) or merged into it
// (PATCH .../custom-data), and the customData sent.
type Update struct {
	UserID     string
	Replace    bool
	CustomData map[string]any
}

// Updates returns the customData writes applied so far, oldest first;
// refused ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, Replace: u.Replace, CustomData: maps.Clone(u.CustomData)}
	}
	return out
}

// patchCustomData is "Update user custom data": a partial update whose
// customData keys are set over the stored ones (a null is stored as null;
// Logto merges at the top level only).
func (f *Fake) patchCustomData(w http.ResponseWriter, r *http.Request) {
	f.writeCustomData(w, r, false)
}

// patchUser is "Update user"; of its members the fake applies customData,
// which replaces the stored object whole, and the basic fields sent.
func (f *Fake) patchUser(w http.ResponseWriter, r *http.Request) {
	f.writeCustomData(w, r, true)
}

func (f *Fake) writeCustomData(w http.ResponseWriter, r *http.Request, replace bool) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if h == "" {
		writeJSON(w, http.StatusUnauthorized, apiError("Authorization header is missing.", "auth.authorization_header_missing"))
		return
	}
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasPrefix(h, prefix) || !f.tokens[h[len(prefix):]] {
		writeJSON(w, http.StatusUnauthorized, apiError("Unauthorized. Please check credentials and its scope.", "auth.unauthorized"))
		return
	}
	var body map[string]any
	if readErr != nil || json.Unmarshal(raw, &body) != nil || body == nil {
		writeJSON(w, http.StatusBadRequest, apiError("Request body is invalid.", "guard.invalid_input"))
		return
	}
	cd, isObject := body["customData"].(map[string]any)
	if _, present := body["customData"]; (present || !replace) && !isObject {
		writeJSON(w, http.StatusBadRequest, apiError("Request body is invalid: customData must be an object.", "guard.invalid_input"))
		return
	}
	id := r.PathValue("userId")
	u, found := f.users[id]
	if !found {
		writeJSON(w, http.StatusNotFound, apiError("The entity with ID `"+id+"` does not exist.", "entity.not_exists_with_id"))
		return
	}
	next := maps.Clone(u)
	if replace {
		for k, v := range body {
			if k != "id" {
				next[k] = v
			}
		}
	} else {
		old, _ := next["customData"].(map[string]any)
		merged := maps.Clone(old)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, cd)
		next["customData"] = merged
	}
	f.users[id] = next
	if isObject {
		f.updates = append(f.updates, Update{UserID: id, Replace: replace, CustomData: cd})
	}
	if replace {
		writeJSON(w, http.StatusOK, next)
		return
	}
	writeJSON(w, http.StatusOK, next["customData"])
}
