package scim

import (
	"context"
	"reflect"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Update sets, replaces and removes extension attributes with one PATCH
// each; Fetch then returns the new values, and what was not named stays.
func TestUpdateRoundTrip(t *testing.T) {
	s := newStand(t)
	ctx := context.Background()
	f := s.fetcher("")
	id := s.create(janeUser("jane"))
	other := s.create(janeUser("john"))
	before, err := f.Fetch(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name  string
		attrs map[string]any
		want  map[string]any // the extension's attributes afterwards
	}{
		{"set", map[string]any{"hcp_reference": "LANR-123456789", "verified": true, "hcp_verified_at": "2026-12-02T10:00:00Z"},
			map[string]any{"hcp_status": "pending", "tier": "gold", "verification_attempts_remaining": float64(3),
				"hcp_reference": "LANR-123456789", "verified": true, "hcp_verified_at": "2026-12-02T10:00:00Z"}},
		{"replace", map[string]any{"hcp_status": "verified", "verification_attempts_remaining": 2},
			map[string]any{"hcp_status": "verified", "tier": "gold", "verification_attempts_remaining": float64(2),
				"hcp_reference": "LANR-123456789", "verified": true, "hcp_verified_at": "2026-12-02T10:00:00Z"}},
		{"remove", map[string]any{"hcp_reference": nil, "verified": nil},
			map[string]any{"hcp_status": "verified", "tier": "gold", "verification_attempts_remaining": float64(2),
				"hcp_verified_at": "2026-12-02T10:00:00Z"}},
		{"remove what is not there", map[string]any{"hcp_reference": nil},
			map[string]any{"hcp_status": "verified", "tier": "gold", "verification_attempts_remaining": float64(2),
				"hcp_verified_at": "2026-12-02T10:00:00Z"}},
	}
	for _, st := range steps {
		if err := f.Update(ctx, id, st.attrs); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.extensionOf(id); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("%s: stored %v, want %v", st.name, got, st.want)
		}
		p, err := f.Fetch(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		custom := map[string]any{}
		for k, v := range p.Custom {
			if k != "enterprise" && k != "active" {
				custom[k] = v
			}
		}
		if !reflect.DeepEqual(custom, st.want) {
			t.Fatalf("%s: Fetch custom %v, want %v", st.name, custom, st.want)
		}
		// Everything else on the profile is as it was.
		p.Custom, before.Custom = nil, nil
		if !reflect.DeepEqual(p, before) {
			t.Fatalf("%s: the profile changed beyond the extension:\n%+v\n%+v", st.name, p, before)
		}
	}
	if got := s.extensionOf(other); got["hcp_status"] != "pending" || len(got) != 3 {
		t.Fatalf("another user changed: %v", got)
	}
}

// Keys that are no attribute name of the extension are refused before
// any request, as permanent faults.
func TestUpdateRefusesOtherKeys(t *testing.T) {
	s := newStand(t)
	f := s.fetcher("")
	id := s.create(janeUser("jane"))
	sent := s.requests.Load()
	for _, key := range []string{"app_metadata.hcp", DefaultExtension + ":tier", "name.givenName", "active", "Enterprise",
		"", "1tier", "hcp status", "emails[type eq \"work\"].value"} {
		err := f.Update(context.Background(), id, map[string]any{key: "x", "tier": "silver"})
		if err == nil || fault.ClassOf(err) != fault.Permanent {
			t.Errorf("%q: %v, want a permanent fault", key, err)
		}
	}
	if err := f.Update(context.Background(), "", map[string]any{"tier": "x"}); err == nil || fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
	if err := f.Update(context.Background(), id, map[string]any{"tier": func() {}}); err == nil || fault.ClassOf(err) != fault.Permanent {
		t.Errorf("a value JSON cannot encode: %v", err)
	}
	if n := s.requests.Load() - sent; n != 0 {
		t.Fatalf("%d requests sent for refused updates", n)
	}
	if got := s.extensionOf(id)["tier"]; got != "gold" {
		t.Fatalf("tier = %v after refused updates", got)
	}
	// A value the CIAM's schema refuses is its 400: permanent too.
	if err := f.Update(context.Background(), id, map[string]any{"verified": "not a boolean"}); err == nil || fault.ClassOf(err) != fault.Permanent {
		t.Errorf("schema mismatch: %v, want a permanent fault", err)
	}
}
