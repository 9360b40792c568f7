package akamai

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedRecord(fk *fake.Fake) {
	fk.PutRecord("u1", map[string]any{"email": "jane@example.com", "givenName": "Jane", "loyaltyTier": "gold", "crmId": "0035g",
		"hcp": map[string]any{"verdict": "pending", "authority": "x"}})
}

func TestUpdateRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"score": 3, "active": true, "note": "ok"},
			map[string]any{"loyaltyTier": "gold", "crmId": "0035g", "hcp": map[string]any{"verdict": "pending", "authority": "x"},
				"score": 3, "active": true, "note": "ok"}},
		{"nil removes", map[string]any{"loyaltyTier": nil},
			map[string]any{"crmId": "0035g", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}},
		// Capture merges objects: members not named stay.
		{"nested object merges", map[string]any{"hcp": map[string]any{"verdict": "verified", "checked": map[string]any{"at": "2026-12-02"}}},
			map[string]any{"loyaltyTier": "gold", "crmId": "0035g",
				"hcp": map[string]any{"verdict": "verified", "authority": "x", "checked": map[string]any{"at": "2026-12-02"}}}},
		{"new nested object", map[string]any{"claims": map[string]any{"hcp": map[string]any{"verdict": "verified"}}},
			map[string]any{"loyaltyTier": "gold", "crmId": "0035g", "hcp": map[string]any{"verdict": "pending", "authority": "x"},
				"claims": map[string]any{"hcp": map[string]any{"verdict": "verified"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "csecret")
			seedRecord(fk)
			sourcetest.CheckUpdate(t, f, "u1", tt.attrs, tt.wantCustom)
			if ups := fk.Updates(); len(ups) != 1 || ups[0].UUID != "u1" || len(ups[0].Attributes) != len(tt.attrs) {
				t.Fatalf("fake saw updates %+v, want one of %d attributes", ups, len(tt.attrs))
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		subject string
		attrs   map[string]any // nil: a valid one
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"record_not_found", "csecret", "nobody", nil, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"bad credentials", "wrong", "u1", nil, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "invalid_client_credentials" {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "csecret", "u1", nil, func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 Retry-After", "csecret", "u1", nil, func(fk *fake.Fake) { fk.FailNext(1, 429, 5*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 5*time.Second {
				t.Fatalf("want throttled 5s, got %v", err)
			}
		}},
		{"profile field", "csecret", "u1", map[string]any{"email": "x@example.com"}, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
		{"list value", "csecret", "u1", map[string]any{"hcp": map[string]any{"sources": []string{"a"}}}, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
		{"empty subject", "csecret", "", nil, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.secret)
			seedRecord(fk)
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
