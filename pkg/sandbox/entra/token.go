package entra

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// TokenLifetime is expires_in of the tokens the fake issues (the identity
// platform's are 60 to 90 minutes).
const TokenLifetime = 3599 * time.Second

// graphScope is the only scope an app-only Graph token is granted for.
const graphScope = "https://graph.microsoft.com/.default"

// token is the client-credentials grant of the identity platform's v2.0
// endpoint (client_secret_post or client_secret_basic).
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.failures.Next(); ok {
		fakekit.SetRetryAfter(w.Header(), fl.RetryAfter)
		tokenError(w, fl.Status, "temporarily_unavailable", 50196, "AADSTS50196: The server is temporarily unavailable.")
		return
	}
	if r.PathValue("tenant") != f.tenant {
		tokenError(w, http.StatusBadRequest, "invalid_request", 90002, "AADSTS90002: Tenant not found.")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID {
		tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016, "AADSTS700016: Application was not found in the directory.")
		return
	}
	if secret != f.clientSecret {
		tokenError(w, http.StatusUnauthorized, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided.")
		return
	}
	if r.PostForm.Get("scope") != graphScope {
		tokenError(w, http.StatusBadRequest, "invalid_scope", 70011, "AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
		return
	}
	tok := "eyJ0eXAiOiJKV1QiLCJub25jZSI6" + newID()
	f.mu.Lock()
	f.tokens[tok] = f.now().Add(TokenLifetime)
	f.mu.Unlock()
	secs := int(TokenLifetime / time.Second)
	fakekit.WriteJSON(w, "application/json; charset=utf-8", http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok})
}

func tokenError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	id := newID()
	fakekit.WriteJSON(w, "application/json; charset=utf-8", status, map[string]any{
		"error": code, "error_description": msg, "error_codes": []int{aadsts},
		"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"), "trace_id": id, "correlation_id": id,
	})
}

// Patch is one user update the fake applied: the user's id and the
// properties as sent.
type Patch struct {
	UserID     string
	Properties map[string]any
}

// Patches returns the updates applied so far, oldest first; refused ones
// are not among them.
func (f *Fake) Patches() []Patch {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Patch, len(f.patches))
	for i, p := range f.patches {
		out[i] = Patch{UserID: p.UserID, Properties: maps.Clone(p.Properties)}
	}
	return out
}

// patch is "Update user": the properties sent are set (null clears one),
// the others stay; 204 No Content. A property the fake does not know as
// writable, or an extension not registered, is 400 Request_BadRequest,
// as is a body that is not a JSON object; an unknown user 404. Like
// Graph, a successful update notifies the subscriptions for "updated",
// after answering.
func (f *Fake) patch(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var change map[string]any
	if err != nil || json.Unmarshal(raw, &change) != nil || change == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	for k, v := range change {
		if !writable[k] && !f.extensions[k] {
			f.mu.Unlock()
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' does not exist as a declared property or extension property.")
			return
		}
		if _, obj := v.(map[string]any); obj {
			f.mu.Unlock()
			writeError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property '"+k+"' of resource 'User'.")
			return
		}
	}
	u, ok := f.users[id]
	if !ok {
		f.mu.Unlock()
		writeNotFound(w, id)
		return
	}
	next := maps.Clone(u)
	for k, v := range change {
		if v == nil && !writable[k] {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	f.users[id] = next
	f.patches = append(f.patches, Patch{UserID: id, Properties: change})
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	go func() { _, _ = f.Notify(context.WithoutCancel(r.Context()), "updated", id) }() // after answering, as Graph does
}
