package delivery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// memJournal keeps what the handler records.
type memJournal struct {
	mu sync.Mutex
	es [][]Entry
}

func (j *memJournal) Record(_ context.Context, es []Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.es = append(j.es, es)
	return nil
}

func TestJournalHearsEveryDecisionOncePerBatch(t *testing.T) {
	r := newRig(t, nil)
	withQueue(r)
	j := &memJournal{}
	r.h.Journal = j
	r.h.Connector = &failKeys{inner: r.h.Connector, errs: map[string]error{
		"u-1": fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email"),
		"u-3": fault.New(fault.Transient, 503, "SERVER_UNAVAILABLE", "down"),
	}}
	person := func(sub string) *profile.Profile { p := jane("Jane"); p.Sub = sub; return p }
	ev := received(batch(t, event("e1", profile.Created, "u-1", t0, person("u-1")),
		event("e2", profile.Created, "u-2", t0, person("u-2")),
		event("e3", profile.Created, "u-3", t0, person("u-3"))), 1)
	if _, err := r.h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(j.es) != 1 || len(j.es[0]) != 3 {
		t.Fatalf("want one Record call with three entries, got %+v", j.es)
	}
	want := map[string]Outcome{"e1": Abandon, "e2": Delivered, "e3": Retrying}
	for _, e := range j.es[0] {
		if e.Outcome != want[e.EventID] || e.Target != r.h.Target || e.EventType != string(profile.Created) ||
			!e.EventAt.Equal(t0) || !e.At.Equal(t0.Add(2*time.Hour)) || e.MessageID == "" {
			t.Errorf("entry %+v, want outcome %s", e, want[e.EventID])
		}
		if e.Outcome != Delivered && (e.Reason == "" || e.Attempts != 1) {
			t.Errorf("a failure's entry lacks its reason: %+v", e)
		}
		if e.Outcome == Delivered && e.RecordID == "" {
			t.Errorf("a delivery's entry lacks the record id: %+v", e)
		}
	}
}
