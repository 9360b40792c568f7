package delivery

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// countingState is MemoryState counting its reads; GetMany fails with
// failMany when set.
type countingState struct {
	MemoryState
	mu       sync.Mutex
	gets     []string
	manys    [][]string
	failMany error
}

func (s *countingState) Get(ctx context.Context, target, subject string) (State, bool, error) {
	s.mu.Lock()
	s.gets = append(s.gets, subject)
	s.mu.Unlock()
	return s.MemoryState.Get(ctx, target, subject)
}

func (s *countingState) GetMany(ctx context.Context, target string, subjects []string) (map[string]State, error) {
	s.mu.Lock()
	s.manys = append(s.manys, slices.Clone(subjects))
	s.mu.Unlock()
	if s.failMany != nil {
		return nil, s.failMany
	}
	return s.MemoryState.GetMany(ctx, target, subjects)
}

func (s *countingState) reads() (gets []string, manys [][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gets = slices.Clone(s.gets)
	slices.Sort(gets)
	return gets, slices.Clone(s.manys)
}

func TestBatchReadsStatesOnce(t *testing.T) {
	for _, batcher := range []bool{false, true} {
		name := map[bool]string{false: "one by one", true: "batcher"}[batcher]
		t.Run(name, func(t *testing.T) {
			r := newRig(t, nil)
			st := &countingState{}
			r.h.State = st
			if batcher {
				r.h.Connector = &sfBatcher{Connector: r.h.Connector, max: 10}
			}
			ctx := context.Background()
			// u-2 has state already: its stale event must be skipped on the
			// prefetched state.
			if _, err := r.h.Deliver(ctx, event("e0", profile.Created, "u-2", t0.Add(time.Hour), person("u-2", "Bob"))); err != nil {
				t.Fatal(err)
			}
			st.gets = nil
			resp, err := r.h.Handle(ctx, batch(t,
				event("e1", profile.Created, "u-1", t0, person("u-1", "Ann")),
				event("e2", profile.Updated, "u-2", t0, person("u-2", "Old")), // older than the state
				event("e3", profile.Created, "u-3", t0, person("u-3", "Cy")),
				event("e4", profile.Updated, "u-1", t0.Add(time.Minute), person("u-1", "Anne")), // second of u-1
			))
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v, err %v", resp, err)
			}
			gets, manys := st.reads()
			if len(manys) != 1 || !slices.Equal(manys[0], []string{"u-1", "u-2", "u-3"}) {
				t.Errorf("GetMany calls %v, want one for [u-1 u-2 u-3]", manys)
			}
			// Only the second event of u-1 reads the store: it must see the
			// state its first event left.
			if !slices.Equal(gets, []string{"u-1"}) {
				t.Errorf("Get calls %v, want [u-1] (the second event of u-1)", gets)
			}
			if n := r.h.Counts.Stale.Load(); n != 1 {
				t.Errorf("stale = %d, want 1 (u-2's older update)", n)
			}
			byName := map[string]bool{}
			for _, c := range contacts(r) {
				byName[c["FirstName"].(string)] = true
			}
			if !byName["Anne"] || !byName["Bob"] || !byName["Cy"] || byName["Old"] || byName["Ann"] {
				t.Errorf("contacts named %v, want Anne, Bob and Cy", byName)
			}
		})
	}
}

func TestBatchReadFailureFallsBackToGet(t *testing.T) {
	r := newRig(t, nil)
	st := &countingState{failMany: errors.New("throttled")}
	r.h.State = st
	resp, err := r.h.Handle(context.Background(), batch(t,
		event("e1", profile.Created, "u-1", t0, person("u-1", "Ann")),
		event("e2", profile.Created, "u-2", t0, person("u-2", "Bob")),
	))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if gets, _ := st.reads(); !slices.Equal(gets, []string{"u-1", "u-2"}) {
		t.Errorf("Get calls %v, want one per subject after the failed GetMany", gets)
	}
	if n := len(contacts(r)); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
}

func TestSingleMessageReadsWithGet(t *testing.T) {
	r := newRig(t, nil)
	st := &countingState{}
	r.h.State = st
	if _, err := r.h.Handle(context.Background(), batch(t, event("e1", profile.Created, "u-1", t0, person("u-1", "Ann")))); err != nil {
		t.Fatal(err)
	}
	if gets, manys := st.reads(); len(manys) != 0 || !slices.Equal(gets, []string{"u-1"}) {
		t.Errorf("GetMany %v, Get %v: want one Get and no GetMany for a lone message", manys, gets)
	}
}

// A delete that opens a batch of a batching connector is prepared with the
// batched upserts and applied after them: its state is read once.
func TestBatchedDeleteReadsStateOnce(t *testing.T) {
	r := newRig(t, nil)
	st := &countingState{}
	r.h.State = st
	r.h.Connector = &sfBatcher{Connector: r.h.Connector, max: 10}
	ctx := context.Background()
	if _, err := r.h.Deliver(ctx, event("e0", profile.Created, "u-1", t0, person("u-1", "Ann"))); err != nil {
		t.Fatal(err)
	}
	st.gets = nil
	resp, err := r.h.Handle(ctx, batch(t,
		event("e1", profile.Deleted, "u-1", t0.Add(time.Minute), nil),
		event("e2", profile.Created, "u-2", t0, person("u-2", "Bob")),
	))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if gets, manys := st.reads(); len(gets) != 0 || len(manys) != 1 {
		t.Errorf("Get %v, GetMany %v: want the one GetMany only", gets, manys)
	}
	if cs := contacts(r); len(cs) != 1 || cs[0]["FirstName"] != "Bob" {
		t.Errorf("contacts %v, want only Bob (u-1 deleted)", cs)
	}
	if got, found, _ := st.MemoryState.Get(ctx, "salesforce", "u-1"); !found || !got.Deleted {
		t.Errorf("u-1 state %+v (found %v), want a tombstone", got, found)
	}
}
