package cidaas

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
)

// Update is one admin update the fake applied: the user's sub and the
// customFields as sent (nil for a field that was unassigned).
type Update struct {
	Sub          string
	CustomFields map[string]any
}

// Updates returns the admin updates applied so far, oldest first; refused
// ones (bad token, unknown user, bad body) are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{Sub: u.Sub, CustomFields: maps.Clone(u.CustomFields)}
	}
	return out
}

// adminUpdate is "Update user by sub (Admin)", PUT /user-srv/users/{sub}:
// each member of customFields is set, null or "" unassigns it, fields not
// named stay. Other members of the body (userData, userStatus, ...) are
// accepted and ignored here. A body that is not a JSON object, or whose
// customFields is not an object, is 400; an unknown sub 404, after the
// token check (401), as cidaas documents.
func (f *Fake) adminUpdate(w http.ResponseWriter, r *http.Request) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	var body struct {
		CustomFields json.RawMessage `json:"customFields"`
	}
	decodeErr := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	var fields map[string]any
	if decodeErr == nil && len(body.CustomFields) > 0 {
		decodeErr = json.Unmarshal(body.CustomFields, &fields)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !(len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, apiError(http.StatusUnauthorized, "invalid_token", "access token missing, unknown or expired"))
		return
	}
	sub := r.PathValue("sub")
	u, found := f.users[sub]
	if !found || sub == "ANONYMOUS" {
		writeJSON(w, http.StatusNotFound, apiError(http.StatusNotFound, "user_not_found", "no user with this sub"))
		return
	}
	if decodeErr != nil {
		writeJSON(w, http.StatusBadRequest, apiError(http.StatusBadRequest, "invalid_body", "a JSON object whose customFields is an object"))
		return
	}
	next := maps.Clone(u)
	custom, _ := next["customFields"].(map[string]any)
	custom = maps.Clone(custom)
	if custom == nil {
		custom = map[string]any{}
	}
	for k, v := range fields {
		if v == nil || v == "" {
			delete(custom, k)
		} else {
			custom[k] = v
		}
	}
	if len(custom) > 0 {
		next["customFields"] = custom
	} else {
		delete(next, "customFields")
	}
	f.users[sub] = next
	f.updates = append(f.updates, Update{Sub: sub, CustomFields: maps.Clone(fields)})
	if f.onUpdate != nil {
		// cidaas announces an admin's change with ACCOUNT_MODIFIED, after
		// answering, from its own queue.
		go f.onUpdate(sub)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": http.StatusOK, "data": true})
}

// OnAdminUpdate sets what the fake does after an admin update through the
// users API (PUT /user-srv/users/{sub}): the local stack sends the
// ACCOUNT_MODIFIED webhook real cidaas would. It runs on its own
// goroutine. The sandbox's own changes (PUT /users-srv/user/{sub}, what
// `send` applies from a sample's companion) announce nothing: the sample
// is their webhook.
func (f *Fake) OnAdminUpdate(fn func(sub string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onUpdate = fn
}

// User returns a copy of the user the fake holds for sub.
func (f *Fake) User(sub string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[sub]
	if !ok {
		return nil, false
	}
	out := maps.Clone(u)
	if c, ok := u["customFields"].(map[string]any); ok {
		out["customFields"] = maps.Clone(c)
	}
	return out, true
}
