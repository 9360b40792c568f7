package logto

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/logto"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedLogto(fk *fake.Fake) {
	fk.PutUser("u1", map[string]any{"primaryEmail": "j@example.com", "name": "Jane", "isSuspended": false,
		"customData": map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}})
}

func TestUpdateRoundTrip(t *testing.T) {
	hcp := map[string]any{"verdict": "pending", "authority": "x"}
	tests := []struct {
		name        string
		attrs       map[string]any
		wantCustom  map[string]any
		wantReplace bool
	}{
		{"scalars", map[string]any{"score": 3, "active": true},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": hcp, "score": 3, "active": true}, false},
		// Logto merges at the top level: a nested object replaces.
		{"nested object replaces", map[string]any{"hcp": map[string]any{"verdict": "verified"}},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "verified"}}, false},
		{"nil removes", map[string]any{"tier": nil, "score": 1},
			map[string]any{"crm_id": "0035g", "hcp": hcp, "score": 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "csecret", resource)
			seedLogto(fk)
			sourcetest.CheckUpdate(t, f, "u1", tt.attrs, tt.wantCustom)
			if ups := fk.Updates(); len(ups) != 1 || ups[0].UserID != "u1" || ups[0].Replace != tt.wantReplace {
				t.Fatalf("fake saw updates %+v, want one with replace %v", ups, tt.wantReplace)
			}
		})
	}
}

func TestUpdateRefreshesOnceOn401(t *testing.T) {
	f, fk := newFetcher(t, "csecret", resource)
	seedLogto(fk)
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	fk.ExpireTokens()
	if err := f.Update(context.Background(), "u1", map[string]any{"a": "2"}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := fk.Calls("/oidc/token"); n != 2 || len(fk.Updates()) != 2 {
		t.Fatalf("%d token calls, %d updates; want 2 and 2", n, len(fk.Updates()))
	}
}

func TestUpdateErrors(t *testing.T) {
	valid := map[string]any{"hcp": "verified"}
	removal := map[string]any{"tier": nil}
	tests := []struct {
		name    string
		secret  string
		subject string
		attrs   map[string]any
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "csecret", "nobody", valid, func(*fake.Fake) {}, notFound},
		{"unknown user, removal", "csecret", "nobody", removal, func(*fake.Fake) {}, notFound},
		{"bad client", "wrong", "u1", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Auth {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "csecret", "u1", valid, func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429", "csecret", "u1", removal, func(fk *fake.Fake) { fk.FailNext(1, 429, 2*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 2*time.Second {
				t.Fatalf("want throttled 2s, got %v", err)
			}
		}},
		{"suspended", "csecret", "u1", map[string]any{"suspended": true}, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.secret, resource)
			seedLogto(fk)
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

func notFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}
