package auth0

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/sandbox/auth0"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedMetadata(fake *auth0.Fake) {
	fake.PutUser(jane, map[string]any{"email": "jane.doe@example.com", "given_name": "Jane", "updated_at": "2025-01-01T10:00:00.000Z",
		"user_metadata": map[string]any{"theme": "dark"},
		"app_metadata":  map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}})
}

func TestUpdateRoundTrip(t *testing.T) {
	userMeta := map[string]any{"theme": "dark"}
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"app_metadata": map[string]any{"score": 3, "active": true}},
			map[string]any{"user_metadata": userMeta,
				"app_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}, "score": 3, "active": true}}},
		{"nil removes a key", map[string]any{"app_metadata": map[string]any{"tier": nil}},
			map[string]any{"user_metadata": userMeta, "app_metadata": map[string]any{"hcp": map[string]any{"verdict": "pending", "authority": "x"}}}},
		// Auth0 merges at the metadata root only: a nested object replaces.
		{"nested object replaces", map[string]any{"app_metadata": map[string]any{"hcp": map[string]any{"verdict": "verified", "checked": map[string]any{"at": "2026-12-02"}}}},
			map[string]any{"user_metadata": userMeta,
				"app_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "verified", "checked": map[string]any{"at": "2026-12-02"}}}}},
		{"nil clears the metadata", map[string]any{"user_metadata": nil},
			map[string]any{"app_metadata": map[string]any{"tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := auth0.NewFake("cid", "sec")
			seedMetadata(fake)
			f := fetcher(t, fake, "sec")
			sourcetest.CheckUpdate(t, f, jane, tt.attrs, tt.wantCustom)
			if ups := fake.Updates(); len(ups) != 1 || ups[0].UserID != jane || len(ups[0].Body) != len(tt.attrs) {
				t.Fatalf("fake saw updates %+v", ups)
			}
		})
	}
}

func TestUpdateRefreshesOnceOn401(t *testing.T) {
	fake := auth0.NewFake("cid", "sec")
	seedMetadata(fake)
	f := fetcher(t, fake, "sec")
	attrs := map[string]any{"app_metadata": map[string]any{"hcp": "verified"}}
	if err := f.Update(context.Background(), jane, attrs); err != nil {
		t.Fatal(err)
	}
	fake.ExpireTokens()
	if err := f.Update(context.Background(), jane, attrs); err != nil || fake.TokenCalls() != 2 || len(fake.Updates()) != 2 {
		t.Fatalf("after revocation: %v, %d token calls, %d updates", err, fake.TokenCalls(), len(fake.Updates()))
	}
}

func TestUpdateErrors(t *testing.T) {
	valid := map[string]any{"app_metadata": map[string]any{"hcp": "verified"}}
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
		setup   func(*auth0.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "sec", "auth0|nobody", valid, func(*auth0.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"wrong client secret", "wrong", jane, valid, func(*auth0.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Auth {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "sec", jane, valid, func(fk *auth0.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429", "sec", jane, valid, func(fk *auth0.Fake) { fk.FailNext(1, 429, 4*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter <= 0 {
				t.Fatalf("want throttled with a delay, got %v", err)
			}
		}},
		{"root attribute", "sec", jane, map[string]any{"given_name": "X"}, func(*auth0.Fake) {}, permanent},
		{"metadata not an object", "sec", jane, map[string]any{"app_metadata": "x"}, func(*auth0.Fake) {}, permanent},
		{"empty subject", "sec", "", valid, func(*auth0.Fake) {}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := auth0.NewFake("cid", "sec")
			seedMetadata(fake)
			f := fetcher(t, fake, tt.secret)
			// Take the token first, so an injected failure hits the update.
			if _, err := f.token.Token(context.Background()); err != nil && tt.secret == "sec" {
				t.Fatal(err)
			}
			tt.setup(fake)
			err := f.Update(context.Background(), tt.subject, tt.attrs)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if n := len(fake.Updates()); n != 0 {
				t.Fatalf("fake applied %d updates", n)
			}
		})
	}
}
