// Package scim is an in-memory SCIM 2.0 service provider (RFC 7643/7644)
// for tests and the local sandbox, built on github.com/elimity-com/scim,
// which does the protocol: routing, schema validation, filter parsing,
// PATCH validation, list and error bodies. This package does what the
// library leaves to its handler: storage, ids, uniqueness (userName,
// case-insensitive; externalId, case-exact), PATCH semantics and meta.version
// ETags checked against If-Match (412 when stale). A wrapping handler checks
// the Bearer token (or Basic credentials) and serves GET /_sandbox/records.
//
// It serves /Users (core User schema plus the enterprise extension and
// ProfileSyncExtension, the write-back attributes of a SCIM source),
// /Schemas, /ResourceTypes and /ServiceProviderConfig at its root; mount it
// with http.StripPrefix.
package scim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Auth is what the server demands of callers: a bearer token, or a
// username and password for Basic. An empty Auth lets everyone in.
type Auth struct {
	Token    string
	Username string
	Password string
}

// Record is one stored user, as GET /_sandbox/records shows it.
type Record struct {
	ID         string         `json:"id"`
	ExternalID string         `json:"externalId,omitempty"`
	Version    string         `json:"version"`
	Attributes map[string]any `json:"attributes"`
}

// Server is the service provider. Create it with New; it is safe for
// concurrent use.
type Server struct {
	auth  Auth
	scim  http.Handler
	mu    sync.Mutex
	users map[string]*user
	seq   int
}

type user struct {
	id      string
	attrs   map[string]any // includes externalId when set
	version int
}

// New returns an empty server. baseURL, when set (e.g.
// "http://127.0.0.1:4700/scim/v2"), makes Location and meta.location
// absolute.
func New(auth Auth, baseURL string) (*Server, error) {
	s := &Server{auth: auth, users: map[string]*user{}}
	var opts []elimity.ServerOption
	if baseURL != "" {
		opts = append(opts, elimity.WithBaseURL(strings.TrimRight(baseURL, "/")))
	}
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: 100},
		ResourceTypes: []elimity.ResourceType{{
			ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
			Description:      optional.NewString("User Account"),
			Schema:           schema.CoreUserSchema(),
			SchemaExtensions: []elimity.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}, {Schema: profileSyncSchema()}},
			Handler:          (*handler)(s),
		}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("scim sandbox: %w", err)
	}
	s.scim = srv
	return s, nil
}

// ServeHTTP checks credentials, then serves SCIM; GET /_sandbox/records
// lists what is stored (behind the same credentials).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "Authorization failure."})
		return
	}
	if r.URL.Path == "/_sandbox/records" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Records())
		return
	}
	s.scim.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch {
	case s.auth.Token != "":
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && eq(tok, s.auth.Token)
	case s.auth.Username != "":
		u, p, ok := r.BasicAuth()
		return ok && eq(u, s.auth.Username) && eq(p, s.auth.Password)
	}
	return true
}

func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// Records lists the stored users, ordered by id.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.users))
	for _, u := range s.users {
		ext, _ := u.attrs["externalId"].(string)
		out = append(out, Record{ID: u.id, ExternalID: ext, Version: u.etag(), Attributes: deepCopy(u.attrs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Seed stores a user directly, as another provisioning client would, and
// returns its id. attrs are not validated.
func (s *Server) Seed(attrs map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insert(deepCopy(attrs)).id
}

// Touch bumps a user's version, as a change by someone else would, so the
// next write with the old ETag gets 412.
func (s *Server) Touch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		u.version++
	}
}

func (s *Server) insert(attrs map[string]any) *user {
	s.seq++
	u := &user{id: fmt.Sprintf("%08d-5c1d-4e0a-9b7f-%012d", s.seq, s.seq), attrs: attrs, version: 1}
	s.users[u.id] = u
	return u
}

// etag is a weak entity tag, as most SCIM providers send.
func (u *user) etag() string { return fmt.Sprintf(`W/"%d"`, u.version) }

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
