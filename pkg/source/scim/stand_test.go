package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	sandbox "github.com/profilesync/profilesync/pkg/sandbox/scim"
)

const (
	testToken = "scim-test-token"
	testKey   = "scim-test-api-key-0123"
)

// stand is the SCIM sandbox server (elimity) behind a thin wrapper that
// counts requests and can answer the next n with a failure, as a
// provider's gateway would.
type stand struct {
	t        *testing.T
	srv      *sandbox.Server
	url      string
	requests atomic.Int32

	mu     sync.Mutex
	fails  int
	status int
	header http.Header
}

func newStand(t *testing.T) *stand {
	t.Helper()
	srv, err := sandbox.New(sandbox.Auth{Token: testToken}, "")
	if err != nil {
		t.Fatal(err)
	}
	s := &stand{t: t, srv: srv}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		fail := s.fails > 0
		if fail {
			s.fails--
		}
		status, header := s.status, s.header
		s.mu.Unlock()
		if fail {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"injected","status":"` + http.StatusText(status) + `"}`))
			return
		}
		http.StripPrefix("/scim/v2", srv).ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	s.url = hs.URL + "/scim/v2"
	return s
}

// failNext makes the next n requests answer status with header.
func (s *stand) failNext(n, status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails, s.status, s.header = n, status, header
}

// secret is a SCIM source secret pointing at the stand; extra is spliced
// into the object (",\"page_size\":10").
func (s *stand) secret(extra string) []byte {
	return []byte(`{"kind":"scim","environment":"test","auth":"apikey","header":"X-Api-Key","secrets":["` + testKey + `"],` +
		`"subject_path":"resource.id","type_path":"event","id_path":"id","time_path":"time",` +
		`"event_types":{"user.created":"created","user.updated":"updated","user.deleted":"deleted"},` +
		`"base_url":"` + s.url + `/","token":"` + testToken + `"` + extra + `}`)
}

func (s *stand) fetcher(extra string) *Fetcher {
	s.t.Helper()
	cfg, err := ParseConfig(s.secret(extra))
	if err != nil {
		s.t.Fatal(err)
	}
	_, f, err := New("scim-test", cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		s.t.Fatal(err)
	}
	return f
}

// create POSTs a User through the server's schema validation and returns
// its id.
func (s *stand) create(user map[string]any) string {
	s.t.Helper()
	b, _ := json.Marshal(user)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/Users", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := egress.Client(egress.Local, 5*time.Second).Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	id, _ := m["id"].(string)
	if resp.StatusCode != http.StatusCreated || id == "" {
		s.t.Fatalf("create user: %d %v", resp.StatusCode, m)
	}
	return id
}

// extensionOf is what the sandbox stores under the profilesync extension.
func (s *stand) extensionOf(id string) map[string]any {
	for _, r := range s.srv.Records() {
		if r.ID == id {
			for k, v := range r.Attributes {
				if strings.EqualFold(k, sandbox.ProfileSyncExtension) {
					m, _ := v.(map[string]any)
					return m
				}
			}
			return nil
		}
	}
	s.t.Fatalf("no record %s", id)
	return nil
}
