package fusionauth

import (
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Update is one PATCH the fake applied: the user id and the merge patch
// of the user as sent (the body's "user" member).
type Update struct {
	UserID string
	User   map[string]any
}

// Updates returns the PATCHes applied so far, oldest first; refused ones
// are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, User: maps.Clone(u.User)}
	}
	return out
}

// patchUser is the User API's PATCH with Content-Type
// application/merge-patch+json: {"user":{...}} is merged into the user as
// RFC 7396 says (objects merge member by member, null removes a member,
// anything else replaces). Other content types (JSON Patch, the legacy
// application/json merge) are not served: 400. A body that is not JSON,
// or whose user is not an object, is 400 with FusionAuth's fieldErrors;
// id cannot change. 401 and 404 as for the read, with empty bodies.
func (f *Fake) patchUser(w http.ResponseWriter, r *http.Request) {
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apiKey == "" || r.Header.Get("Authorization") != f.apiKey {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if t := r.Header.Get("X-FusionAuth-TenantId"); f.tenant != "" && t != "" && t != f.tenant {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.PathValue("userId")
	u, found := f.users[id]
	if !found {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/merge-patch+json" {
		fieldError(w, "[invalid]Content-Type", "this fake serves application/merge-patch+json only")
		return
	}
	var body struct {
		User map[string]any `json:"user"`
	}
	if readErr != nil || json.Unmarshal(raw, &body) != nil || body.User == nil {
		fieldError(w, "[invalid]user", "the request body must be a JSON object with a user object")
		return
	}
	if v, ok := body.User["id"]; ok && v != id {
		fieldError(w, "[invalid]user.id", "the id cannot change")
		return
	}
	next := mergePatch(u, body.User)
	next["id"] = id
	next["lastUpdateInstant"] = time.Now().UnixMilli()
	f.users[id] = next
	f.updates = append(f.updates, Update{UserID: id, User: body.User})
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"user": next})
}

// mergePatch applies patch to target as RFC 7396 §2 does, copying rather
// than changing target.
func mergePatch(target, patch map[string]any) map[string]any {
	out := maps.Clone(target)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			old, _ := out[k].(map[string]any)
			out[k] = mergePatch(old, v)
		default:
			out[k] = v
		}
	}
	return out
}

func fieldError(w http.ResponseWriter, code, msg string) {
	fakekit.WriteJSON(w, "application/json", http.StatusBadRequest, map[string]any{
		"fieldErrors": map[string]any{"user": []any{map[string]any{"code": code, "message": msg}}}})
}
