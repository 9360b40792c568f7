package standardwebhooks

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
	fake "github.com/profilesync/profilesync/pkg/sandbox/clerk"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func newClerkFetcher(t *testing.T, key string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("sk_test_x")
	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, APIURL: srv.URL + "/clerk", APIKey: key},
		egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	fk.Put(&profile.Profile{Sub: "user_1", GivenName: "Jane", Email: "jane@example.com", EmailVerified: true,
		Custom: map[string]any{"public_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}},
			"unsafe_metadata": map[string]any{"theme": "dark"}, "external_id": "crm-1"}})
	return f, fk
}

func TestClerkUpdateRoundTrip(t *testing.T) {
	unsafe := map[string]any{"theme": "dark"}
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"public_metadata": map[string]any{"score": 3, "active": true}},
			map[string]any{"public_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}, "score": 3, "active": true},
				"unsafe_metadata": unsafe, "external_id": "crm-1"}},
		{"nil removes a key", map[string]any{"public_metadata": map[string]any{"tier": nil}},
			map[string]any{"public_metadata": map[string]any{"hcp": map[string]any{"verdict": "pending", "authority": "x"}},
				"unsafe_metadata": unsafe, "external_id": "crm-1"}},
		// Clerk deep-merges: the nested object's other members stay.
		{"nested object merges", map[string]any{"public_metadata": map[string]any{"hcp": map[string]any{"verdict": "verified", "authority": nil, "at": "2026-12-02"}}},
			map[string]any{"public_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "verified", "at": "2026-12-02"}},
				"unsafe_metadata": unsafe, "external_id": "crm-1"}},
		{"unsafe metadata", map[string]any{"unsafe_metadata": map[string]any{"theme": nil}},
			map[string]any{"public_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}, "external_id": "crm-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newClerkFetcher(t, "sk_test_x")
			sourcetest.CheckUpdate(t, f, "user_1", tt.attrs, tt.wantCustom)
			if ups := fk.Updates(); len(ups) != 1 || ups[0].UserID != "user_1" || len(ups[0].Metadata) != len(tt.attrs) {
				t.Fatalf("fake saw updates %+v", ups)
			}
		})
	}
}

func TestClerkUpdateErrors(t *testing.T) {
	valid := map[string]any{"public_metadata": map[string]any{"hcp": "verified"}}
	tests := []struct {
		name    string
		key     string
		subject string
		attrs   map[string]any
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "sk_test_x", "nobody", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		// Clerk's secret key is static: a 401 is a refused credential, not a
		// token to refresh.
		{"bad key", "sk_test_wrong", "user_1", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "authentication_invalid" {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "sk_test_x", "user_1", valid, func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 Retry-After", "sk_test_x", "user_1", valid, func(fk *fake.Fake) { fk.FailNext(1, 429, 3*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 3*time.Second {
				t.Fatalf("want throttled 3s, got %v", err)
			}
		}},
		{"top-level name", "sk_test_x", "user_1", map[string]any{"hcp": "verified"}, func(*fake.Fake) {}, permanent},
		{"external_id", "sk_test_x", "user_1", map[string]any{"external_id": "x"}, func(*fake.Fake) {}, permanent},
		{"clear whole metadata", "sk_test_x", "user_1", map[string]any{"public_metadata": nil}, func(*fake.Fake) {}, permanent},
		{"metadata not an object", "sk_test_x", "user_1", map[string]any{"public_metadata": "x"}, func(*fake.Fake) {}, permanent},
		{"empty subject", "sk_test_x", "", valid, func(*fake.Fake) {}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newClerkFetcher(t, tt.key)
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

func permanent(t *testing.T, err error) {
	t.Helper()
	if fault.ClassOf(err) != fault.Permanent || errors.Is(err, source.ErrNotFound) {
		t.Fatalf("want permanent, got %v", err)
	}
}
