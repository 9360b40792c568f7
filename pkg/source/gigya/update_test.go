package gigya

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/gigya"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func TestUpdateContract(t *testing.T) {
	fk, cfg, hc := newSite(t)
	fk.Put(&profile.Profile{Sub: "u1", GivenName: "Jane", Email: "jane@example.com",
		Custom: map[string]any{"tier": "gold", "old": true, "claims": map[string]any{"npi": "declared", "vat": "verified"}}})
	f := mustFetcher(t, cfg, hc)
	// Gigya merges data deeply; a null removes a field.
	sourcetest.CheckUpdate(t, f, "u1",
		map[string]any{"claims": map[string]any{"npi": "verified"}, "old": nil, "score": 3},
		map[string]any{"tier": "gold", "score": 3, "claims": map[string]any{"npi": "verified", "vat": "verified"}})
	ups := fk.Updates()
	if len(ups) != 1 || !reflect.DeepEqual(ups[0].Data, map[string]any{"claims": map[string]any{"npi": "verified"}, "old": nil, "score": float64(3)}) {
		t.Fatalf("updates %+v", ups)
	}
}

// Only what changes is sent, and nothing when nothing does: every
// setAccountInfo fires a webhook.
func TestUpdateSendsOnlyChanges(t *testing.T) {
	fk, cfg, hc := newSite(t)
	fk.Put(&profile.Profile{Sub: "u1", Custom: map[string]any{"tier": "gold", "n": 3, "claims": map[string]any{"npi": "verified"}}})
	f := mustFetcher(t, cfg, hc)
	ctx := context.Background()
	if err := f.Update(ctx, "u1", map[string]any{"tier": "gold", "n": 3.0, "claims": map[string]any{"npi": "verified"}, "gone": nil}); err != nil {
		t.Fatal(err)
	}
	if n := fk.Calls("/accounts.setAccountInfo"); n != 0 {
		t.Fatalf("%d setAccountInfo calls for no change", n)
	}
	if err := f.Update(ctx, "u1", map[string]any{"tier": "silver", "n": 3}); err != nil {
		t.Fatal(err)
	}
	if ups := fk.Updates(); len(ups) != 1 || !reflect.DeepEqual(ups[0].Data, map[string]any{"tier": "silver"}) {
		t.Fatalf("updates %+v", ups)
	}
}

func TestUpdateFailures(t *testing.T) {
	fk, cfg, hc := newSite(t)
	fk.Put(&profile.Profile{Sub: "u1"})
	f := mustFetcher(t, cfg, hc)
	ctx := context.Background()
	if err := f.Update(ctx, "nobody", map[string]any{"a": 1}); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown UID: %v", err)
	}
	if err := f.Update(ctx, "u1", map[string]any{"f": func() {}}); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("unencodable: %v", err)
	}
	fk.FailNext(1, fake.CodeRateLimit)
	if err := f.Update(ctx, "u1", map[string]any{"a": 1}); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("throttled read: %v", err)
	}
	if err := f.Update(ctx, "", map[string]any{"a": 1}); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
	if err := f.Update(ctx, "u1", nil); err != nil || fk.Calls("/accounts.setAccountInfo") != 0 {
		t.Errorf("no attributes: %v, %d calls", err, fk.Calls("/accounts.setAccountInfo"))
	}
}
