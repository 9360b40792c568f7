package keycloak

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/keycloak"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedKeycloak(fk *fake.Fake) {
	fk.PutUser("u1", map[string]any{"username": "jane.doe", "email": "jane@example.com", "firstName": "Jane", "enabled": true,
		"requiredActions": []string{"VERIFY_EMAIL"},
		"attributes":      map[string][]string{"locale": {"de"}, "crm_id": {"0035g"}, "tier": {"gold"}, "segments": {"a", "b"}}})
}

func TestUpdateRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars as text", map[string]any{"hcp_verdict": "verified", "hcp_score": 3, "hcp_active": true},
			map[string]any{"crm_id": "0035g", "tier": "gold", "segments": []any{"a", "b"}, "hcp_verdict": "verified", "hcp_score": "3", "hcp_active": "true"}},
		{"nil removes", map[string]any{"tier": nil},
			map[string]any{"crm_id": "0035g", "segments": []any{"a", "b"}}},
		{"list", map[string]any{"segments": []any{"c", "d", "e"}},
			map[string]any{"crm_id": "0035g", "tier": "gold", "segments": []any{"c", "d", "e"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "acme", "csecret")
			seedKeycloak(fk)
			sourcetest.CheckUpdate(t, f, "u1", tt.attrs, tt.wantCustom)
			ups := fk.Updates()
			if len(ups) != 1 || ups[0].UserID != "u1" || ups[0].Attributes["locale"][0] != "de" {
				t.Fatalf("fake saw updates %+v, want one carrying the untouched attributes", ups)
			}
		})
	}
}

func TestUpdateRefreshesOnceOn401(t *testing.T) {
	f, fk := newFetcher(t, "acme", "csecret")
	seedKeycloak(fk)
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	fk.ExpireTokens()
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "2"}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := fk.Calls("/realms/acme/protocol/openid-connect/token"); n != 2 || len(fk.Updates()) != 2 {
		t.Fatalf("%d token calls, %d updates; want 2 and 2", n, len(fk.Updates()))
	}
}

func TestUpdateErrors(t *testing.T) {
	valid := map[string]any{"hcp": "verified"}
	permanent := func(t *testing.T, err error) {
		if fault.ClassOf(err) != fault.Permanent || errors.Is(err, source.ErrNotFound) {
			t.Fatalf("want permanent, got %v", err)
		}
	}
	tests := []struct {
		name    string
		secret  string
		subject string
		attrs   map[string]any
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "csecret", "nobody", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"bad client", "wrong", "u1", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Auth {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503 on the read", "csecret", "u1", valid, func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 on the read", "csecret", "u1", valid, func(fk *fake.Fake) { fk.FailNext(1, 429, 2*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 2*time.Second {
				t.Fatalf("want throttled 2s, got %v", err)
			}
		}},
		{"nested object", "csecret", "u1", map[string]any{"hcp": map[string]any{"verdict": "verified"}}, func(*fake.Fake) {}, permanent},
		{"profile attribute", "csecret", "u1", map[string]any{"locale": "en"}, func(*fake.Fake) {}, permanent},
		{"enabled", "csecret", "u1", map[string]any{"enabled": false}, func(*fake.Fake) {}, permanent},
		{"empty subject", "csecret", "", valid, func(*fake.Fake) {}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "acme", tt.secret)
			seedKeycloak(fk)
			// Take the token first, so an injected failure hits the API.
			if _, err := f.token.Token(context.Background()); err != nil && tt.secret == "csecret" {
				t.Fatal(err)
			}
			tt.setup(fk)
			err := f.Update(context.Background(), tt.subject, tt.attrs)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if n := len(fk.Updates()); n != 0 {
				t.Fatalf("fake applied %d updates", n)
			}
		})
	}
}

// A failure on the write, after a good read, is classified as Fetch
// would classify it and applies nothing.
func TestUpdateWriteFails(t *testing.T) {
	fk := fake.NewFake("acme", "profilesync", "csecret")
	seedKeycloak(fk)
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && puts.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fk.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{Secret: "x", BaseURL: srv.URL, Realm: "acme", ClientID: "profilesync", ClientSecret: "csecret"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "1"}); fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want transient, got %v", err)
	}
	if n := len(fk.Updates()); n != 0 || fk.Calls("/admin/realms/acme/users/u1") != 1 {
		t.Fatalf("%d updates applied, %d user calls; want 0 and the read", n, fk.Calls("/admin/realms/acme/users/u1"))
	}
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "1"}); err != nil || len(fk.Updates()) != 1 {
		t.Fatalf("retry: %v", err)
	}
}
