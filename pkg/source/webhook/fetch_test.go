package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// kratosAdmin is a stand-in for GET /admin/identities/{id} behind an Ory
// Network project token.
func kratosAdmin(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer ory_pat_test" {
			http.Error(w, `{"error":{"code":401}}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.EscapedPath() {
		case "/admin/identities/id%2F1":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"id/1","state":"active","traits":{"email":"jane.doe@example.com","name":{"first":"Jane"}},
				"verifiable_addresses":[{"value":"jane.doe@example.com","verified":true}]}`))
		case "/admin/identities/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/admin/identities/weird":
			_, _ = w.Write([]byte(`{"traits":{"email":42.5}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fetchConfig(url, token string) Config {
	c := thinConfig()
	c.FetchURL = url + "/admin/identities/{subject}"
	c.FetchToken = token
	c.FetchFields = map[string]string{"email": "traits.email", "given_name": "traits.name.first",
		"email_verified": "verifiable_addresses[0].verified", "custom.kratos_state": "state"}
	return c
}

func TestFetch(t *testing.T) {
	srv := kratosAdmin(t)
	local := egress.Client(egress.Local, 5*time.Second)
	_, f, err := New("generic", fetchConfig(srv.URL, "ory_pat_test"), local)
	if err != nil || f == nil {
		t.Fatalf("%v %v", f, err)
	}
	got, err := f.Fetch(context.Background(), "id/1") // escaped into one path segment
	want := &profile.Profile{Sub: "id/1", Email: "jane.doe@example.com", GivenName: "Jane", EmailVerified: true,
		Custom: map[string]any{"kratos_state": "active"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %v", got, err)
	}
	if _, err := f.Fetch(context.Background(), "nobody"); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("404: %v", err)
	}
	var fe *fault.Error
	if _, err := f.Fetch(context.Background(), "busy"); !errors.As(err, &fe) || fe.Class != fault.Throttled {
		t.Fatalf("429: %v", err)
	}
	if _, err := f.Fetch(context.Background(), "weird"); !errors.As(err, &fe) || fe.Class != fault.Permanent || strings.Contains(err.Error(), "42.5") {
		t.Fatalf("wrong shape: %v", err)
	}
	_, bad, _ := New("generic", fetchConfig(srv.URL, "wrong"), local)
	if _, err := bad.Fetch(context.Background(), "id/1"); !errors.As(err, &fe) || fe.Class != fault.Auth {
		t.Fatalf("401: %v", err)
	}
}

func TestFetchEgress(t *testing.T) {
	if _, _, err := New("generic", fetchConfig("http://127.0.0.1:4434", ""), nil); err == nil || !strings.Contains(err.Error(), `"fetch_url"`) {
		t.Fatalf("plain http to loopback in production: %v", err)
	}
	if _, f, err := New("generic", thinConfig(), nil); err != nil || f != nil {
		t.Fatalf("no fetch_url, no fetcher: %v %v", f, err)
	}
}
