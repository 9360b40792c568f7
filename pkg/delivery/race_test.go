package delivery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// sourceProfiles is a CIAM's profile API: the source of truth.
type sourceProfiles struct {
	mu sync.Mutex
	m  map[string]*profile.Profile
}

func (s *sourceProfiles) Fetch(_ context.Context, sub string) (*profile.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[sub]
	if !ok {
		return nil, source.ErrNotFound
	}
	cp := *p
	return &cp, nil
}

func (s *sourceProfiles) set(p *profile.Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*profile.Profile{}
	}
	s.m[p.Sub] = p
}

// lateCall holds the call of one event until released, so the test can let
// a newer event's call land first: the older call reaches the back-end last.
type lateCall struct {
	inner   connector.Connector
	eventID string
	started chan struct{}
	release chan struct{}
}

func (l *lateCall) hold(e profile.Event) {
	if e.ID == l.eventID {
		close(l.started)
		<-l.release
	}
}

func (l *lateCall) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	l.hold(r.Event)
	return l.inner.Upsert(ctx, r)
}

func (l *lateCall) Delete(ctx context.Context, r connector.Record) error {
	l.hold(r.Event)
	return l.inner.Delete(ctx, r)
}

// race runs older on one handler and newer on a second one (two Lambda
// instances sharing state and back-end), with older's call landing last.
func race(t *testing.T, r *rig, older, newer profile.Event) Outcome {
	t.Helper()
	late := &lateCall{inner: r.h.Connector, eventID: older.ID, started: make(chan struct{}), release: make(chan struct{})}
	r.h.Connector = late
	other := &Handler{Target: r.h.Target, Mapping: r.h.Mapping, Connector: late, Fetchers: r.h.Fetchers, State: r.h.State}
	var out Outcome
	var err error
	done := make(chan struct{})
	go func() { defer close(done); out, err = r.h.Deliver(context.Background(), older) }()
	<-late.started
	if o, err := other.Deliver(context.Background(), newer); err != nil {
		t.Fatalf("newer: %s %v", o, err)
	}
	close(late.release)
	<-done
	if err != nil {
		t.Fatalf("older: %v", err)
	}
	return out
}

func TestOlderCallLandingLastIsRepaired(t *testing.T) {
	src := &sourceProfiles{}
	r := newRig(t, map[string]source.Fetcher{"clerk": src})
	src.set(jane("Janet"))
	// Thin events: the handler fetches; the source already holds Janet.
	out := race(t, r, event("e1", profile.Created, "u-1", t0, jane("Jane")), event("e2", profile.Updated, "u-1", t0.Add(time.Minute), nil))
	if out != Stale {
		t.Errorf("older event: %s, want %s", out, Stale)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Janet" {
		t.Fatalf("back-end kept the older data: %v", c)
	}
	st, _, _ := r.h.State.Get(context.Background(), "salesforce", "u-1")
	if st.LastEventID != "e2" || st.Hash == "" {
		t.Fatalf("state %+v", st)
	}
}

func TestOlderUpsertLandingAfterDeleteIsDeletedAgain(t *testing.T) {
	r := newRig(t, nil)
	race(t, r, event("e1", profile.Created, "u-1", t0, jane("Jane")), event("e2", profile.Deleted, "u-1", t0.Add(time.Minute), nil))
	if c := contacts(r); len(c) != 0 {
		t.Fatalf("deleted contact resurrected: %v", c)
	}
}

func TestRaceWithoutProfileAPIClearsTheHash(t *testing.T) {
	r := newRig(t, nil)
	race(t, r, event("e1", profile.Created, "u-1", t0, jane("Jane")), event("e2", profile.Updated, "u-1", t0.Add(time.Minute), jane("Janet")))
	st, _, _ := r.h.State.Get(context.Background(), "salesforce", "u-1")
	if st.LastEventID != "e2" || st.Hash != "" {
		t.Fatalf("state %+v: the hash must be cleared so the next event is pushed", st)
	}
	// The next event for the subject repairs the back-end even when its
	// data equals what was last pushed.
	if out, err := r.h.Deliver(context.Background(), event("e3", profile.Updated, "u-1", t0.Add(2*time.Minute), jane("Janet"))); err != nil || out != Delivered {
		t.Fatalf("next event: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Janet" {
		t.Fatalf("contacts %v", c)
	}
}
