package delivery

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// A preview decides as the delivery that follows it does, and changes
// nothing: no back-end call, no state written.
func TestPreviewEqualsTheDeliveryThatFollows(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	onDemand := func(e profile.Event) profile.Event { e.SourceType = profile.SourceTypeOnDemand; return e }
	steps := []struct {
		name string
		e    profile.Event
		want Outcome
	}{
		{"new subject", event("e1", profile.Created, "u-1", t0, jane("Jane")), Delivered},
		{"nothing changed", event("e2", profile.Updated, "u-1", t0.Add(time.Minute), jane("Jane")), Unchanged},
		{"on demand, nothing changed", onDemand(event("e3", profile.Updated, "u-1", t0.Add(2*time.Minute), jane("Jane"))), Delivered},
		{"older than the state", event("e4", profile.Updated, "u-1", t0, jane("Old")), Stale},
		{"changed", event("e5", profile.Updated, "u-1", t0.Add(3*time.Minute), jane("Janet")), Delivered},
		{"deleted", event("e6", profile.Deleted, "u-1", t0.Add(4*time.Minute), nil), Deleted},
	}
	for _, s := range steps {
		before, found, _ := r.h.State.Get(ctx, r.h.Target, "u-1")
		calls := r.fake.Calls()
		p, err := r.h.Preview(ctx, s.e)
		if err != nil {
			t.Fatalf("%s: preview: %v", s.name, err)
		}
		after, foundAfter, _ := r.h.State.Get(ctx, r.h.Target, "u-1")
		if !reflect.DeepEqual(after, before) || found != foundAfter || r.fake.Calls() != calls {
			t.Fatalf("%s: the preview changed something: state %+v → %+v, calls %+v → %+v", s.name, before, after, calls, r.fake.Calls())
		}
		if p.Found != found || !reflect.DeepEqual(p.State, before) {
			t.Errorf("%s: preview state %+v (found %v), want %+v (%v)", s.name, p.State, p.Found, before, found)
		}
		got, err := r.h.Deliver(ctx, s.e)
		if err != nil {
			t.Fatalf("%s: deliver: %v", s.name, err)
		}
		if p.Outcome != s.want || got != p.Outcome {
			t.Errorf("%s: preview %s, delivery %s, want %s", s.name, p.Outcome, got, s.want)
		}
		if (p.Call != "") != (got == Delivered || got == Deleted) {
			t.Errorf("%s: preview call %q for outcome %s", s.name, p.Call, got)
		}
	}
}
