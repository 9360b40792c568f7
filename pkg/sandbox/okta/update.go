package okta

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// Update is one partial profile update the fake applied: the user's id
// and the profile attributes as sent.
type Update struct {
	UserID  string
	Profile map[string]any
}

// Updates returns the profile updates applied so far, oldest first;
// refused ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UserID: u.UserID, Profile: maps.Clone(u.Profile)}
	}
	return out
}

// updateProfile is "Update a user" with POST, Okta's partial update: the
// profile attributes sent are set (null clears one), the others stay.
// Okta's profile schema has no object type, so an attribute whose value
// is an object is refused as a schema violation (400 E0000001), as is a
// profile that is not an object; a body that is not JSON is 400
// E0000003, an unknown user 404 E0000007.
func (f *Fake) updateProfile(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &body) != nil || body == nil {
		writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return
	}
	var change map[string]any
	if p, ok := body["profile"]; ok && json.Unmarshal(p, &change) != nil {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: profile")
		return
	}
	for k, v := range change {
		if _, ok := v.(map[string]any); ok {
			writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: "+k)
			return
		}
	}
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		writeError(w, http.StatusNotFound, "E0000007", fmt.Sprintf("Not found: Resource not found: %s (User)", id))
		return
	}
	next := maps.Clone(u)
	prof, _ := next["profile"].(map[string]any)
	prof = maps.Clone(prof)
	if prof == nil {
		prof = map[string]any{}
	}
	maps.Copy(prof, change)
	next["profile"] = prof
	next["lastUpdated"] = f.now().UTC().Format("2006-01-02T15:04:05.000Z")
	f.users[id] = next
	f.updates = append(f.updates, Update{UserID: id, Profile: change})
	fakekit.WriteJSON(w, "application/json", http.StatusOK, withLinks(next, baseURL(r)))
}
