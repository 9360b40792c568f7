package clerk

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
)

// metadataFields are the members PATCH /v1/users/{id}/metadata accepts.
var metadataFields = []string{"public_metadata", "private_metadata", "unsafe_metadata"}

// Update is one metadata PATCH the fake applied: the user id and the body
// as sent (only the metadata members it named).
type Update struct {
	UserID   string
	Metadata map[string]any
}

// Updates returns the metadata PATCHes applied so far, oldest first;
// refused ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, Metadata: maps.Clone(u.Metadata)}
	}
	return out
}

// patchMetadata is "Merge and update a user's metadata": each metadata
// member sent is deep-merged into the stored one, a null removes a key
// at any level, members not sent stay. It answers the updated User.
func (f *Fake) patchMetadata(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &body) != nil || body == nil {
		writeError(w, http.StatusBadRequest, "request_body_invalid", "The request body is invalid.")
		return
	}
	change := map[string]map[string]any{}
	for _, k := range metadataFields {
		v, ok := body[k]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		var m map[string]any
		if json.Unmarshal(v, &m) != nil {
			writeError(w, http.StatusUnprocessableEntity, "form_param_format_invalid", k+" must be an object")
			return
		}
		change[k] = m
	}
	id := r.PathValue("user_id")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "not found")
		return
	}
	next := maps.Clone(u)
	sent := map[string]any{}
	for k, m := range change {
		old, _ := next[k].(map[string]any)
		next[k] = deepMerge(old, m)
		sent[k] = m
	}
	next["updated_at"] = f.now().UnixMilli()
	f.users[id] = next
	f.updates = append(f.updates, Update{UserID: id, Metadata: sent})
	writeJSON(w, http.StatusOK, next)
}

// deepMerge returns stored with change merged in, copying rather than
// changing stored: objects merge member by member, null deletes, anything
// else (lists too) replaces.
func deepMerge(stored, change map[string]any) map[string]any {
	out := maps.Clone(stored)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range change {
		switch v := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			old, _ := out[k].(map[string]any)
			out[k] = deepMerge(old, v)
		default:
			out[k] = v
		}
	}
	return out
}
