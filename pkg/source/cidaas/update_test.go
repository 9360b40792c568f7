package cidaas

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedUser(fk *fake.Fake) {
	fk.Put(&profile.Profile{Sub: "s1", Email: "jane@example.com", GivenName: "Jane",
		Custom: map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}})
}

func TestUpdateRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"score": 3, "active": true, "note": "ok"},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}, "score": 3, "active": true, "note": "ok"}},
		{"nil removes", map[string]any{"tier": nil},
			map[string]any{"crm_id": "0035g", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}},
		// cidaas sets a field's value whole: a nested object replaces the old one.
		{"nested object replaces", map[string]any{"hcp": map[string]any{"verdict": "verified", "checked": map[string]any{"at": "2026-12-02"}}},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "verified", "checked": map[string]any{"at": "2026-12-02"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk, _ := newFetcher(t)
			seedUser(fk)
			sourcetest.CheckUpdate(t, f, "s1", tt.attrs, tt.wantCustom)
			ups := fk.Updates()
			if len(ups) != 1 || ups[0].Sub != "s1" || len(ups[0].CustomFields) != len(tt.attrs) {
				t.Fatalf("fake saw updates %+v, want one of %d fields", ups, len(tt.attrs))
			}
		})
	}
}

func TestUpdateRefreshesOnceOn401(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUser(fk)
	if err := f.Update(context.Background(), "s1", map[string]any{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	fk.ExpireTokens()
	if err := f.Update(context.Background(), "s1", map[string]any{"a": "2"}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := fk.TokenCalls(); n != 2 {
		t.Fatalf("token calls = %d, want 2", n)
	}
	if n := fk.Calls("/user-srv/users/s1"); n != 3 {
		t.Fatalf("update calls = %d, want 3 (ok, 401, retry)", n)
	}
	if n := len(fk.Updates()); n != 2 {
		t.Fatalf("applied updates = %d, want 2", n)
	}
}

func TestUpdateErrors(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		attrs   map[string]any // nil: a valid one
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown subject", "nobody", nil, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"503", "s1", nil, func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient || errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 with Retry-After", "s1", nil, func(fk *fake.Fake) { fk.FailNext(1, 429, 7*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 7*time.Second {
				t.Fatalf("want throttled 7s, got %v", err)
			}
		}},
		{"empty subject", "", nil, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
		{"unencodable value", "s1", map[string]any{"bad": func() {}}, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk, _ := newFetcher(t)
			seedUser(fk)
			// Take the token first, so an injected failure hits the update.
			if _, err := f.accessToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			tt.setup(fk)
			attrs := tt.attrs
			if attrs == nil {
				attrs = map[string]any{"hcp": "verified"}
			}
			err := f.Update(context.Background(), tt.subject, attrs)
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

func TestUpdateNothingSendsNothing(t *testing.T) {
	f, fk, _ := newFetcher(t)
	if err := f.Update(context.Background(), "s1", nil); err != nil {
		t.Fatal(err)
	}
	if n := fk.TokenCalls() + fk.Calls("/user-srv/users/s1"); n != 0 {
		t.Fatalf("%d requests for an empty update", n)
	}
}

// cidaas may answer 200 with {"success":false}: its own status decides.
func TestUpdateRefusedInsideA200(t *testing.T) {
	for _, tt := range []struct {
		body  string
		check func(error) bool
	}{
		{`{"success":false,"status":417,"error":{"code":"field_not_enabled","error":"x"}}`, func(err error) bool {
			return fault.ClassOf(err) == fault.Permanent && fault.As(err).Code == "field_not_enabled"
		}},
		{`{"success":false,"status":404,"error":{"code":"user_not_found"}}`, func(err error) bool { return errors.Is(err, source.ErrNotFound) }},
		{`{"success":false,"status":503}`, func(err error) bool { return fault.ClassOf(err) == fault.Transient }},
		{`{"success":true,"status":200,"data":true}`, func(err error) bool { return err == nil }},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token-srv/token" {
				_, _ = w.Write([]byte(`{"access_token":"t","expires_in":3600}`))
				return
			}
			_, _ = w.Write([]byte(tt.body))
		}))
		f, err := NewFetcher(Config{Auth: AuthAPIKey, APIKey: "k", BaseURL: srv.URL, ClientID: "cid", ClientSecret: "s"}, egress.Client(egress.Local, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Update(context.Background(), "s1", map[string]any{"a": "1"}); !tt.check(err) {
			t.Errorf("%s: %v", tt.body, err)
		}
		srv.Close()
	}
}
