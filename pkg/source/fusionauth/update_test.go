package fusionauth

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/fusionauth"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func seedFusionAuth(fk *fake.Fake) {
	fk.PutUser("u-1", map[string]any{"email": "jane@example.com", "verified": true, "firstName": "Jane", "active": true,
		"data": map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "pending", "authority": "x"}}})
}

func TestUpdateRoundTrip(t *testing.T) {
	hcp := map[string]any{"verdict": "pending", "authority": "x"}
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"score": 3, "ok": true},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": hcp, "score": 3, "ok": true}},
		{"nil removes", map[string]any{"tier": nil},
			map[string]any{"crm_id": "0035g", "hcp": hcp}},
		// A merge patch merges objects: members not named stay.
		{"nested object merges", map[string]any{"hcp": map[string]any{"verdict": "verified", "authority": nil, "at": "2026-12-02"}},
			map[string]any{"crm_id": "0035g", "tier": "gold", "hcp": map[string]any{"verdict": "verified", "at": "2026-12-02"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "api-key-good", "")
			seedFusionAuth(fk)
			sourcetest.CheckUpdate(t, f, "u-1", tt.attrs, tt.wantCustom)
			if ups := fk.Updates(); len(ups) != 1 || ups[0].UserID != "u-1" {
				t.Fatalf("fake saw updates %+v", ups)
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	valid := map[string]any{"hcp": "verified"}
	tests := []struct {
		name    string
		key     string
		subject string
		attrs   map[string]any
		setup   func(*fake.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "api-key-good", "nobody", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		// An API key is static: 401 is a refused credential.
		{"wrong key", "api-key-bad", "u-1", valid, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Auth {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "api-key-good", "u-1", valid, func(fk *fake.Fake) { fk.FailNext(1, http.StatusServiceUnavailable, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429", "api-key-good", "u-1", valid, func(fk *fake.Fake) { fk.FailNext(1, http.StatusTooManyRequests, 2*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 2*time.Second {
				t.Fatalf("want throttled 2s, got %v", err)
			}
		}},
		{"active", "api-key-good", "u-1", map[string]any{"active": false}, func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("want permanent, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.key, "")
			seedFusionAuth(fk)
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
