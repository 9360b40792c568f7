package delivery

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// sfBatcher is a small connector.Batcher over the Salesforce connector (and so
// the sandbox fake): each UpsertBatch upserts its records one by one, as a
// Collections call would in one request, and records the call sizes. Keys
// in fail get their error instead.
type sfBatcher struct {
	connector.Connector
	max   int
	fail  map[string]error
	mu    sync.Mutex
	calls []int
}

func (b *sfBatcher) MaxBatch() int { return b.max }

func (b *sfBatcher) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	b.mu.Lock()
	b.calls = append(b.calls, len(rs))
	b.mu.Unlock()
	results, errs := make([]connector.Result, len(rs)), make([]error, len(rs))
	for i, r := range rs {
		if err := b.fail[r.Key]; err != nil {
			errs[i] = err
			continue
		}
		results[i], errs[i] = b.Connector.Upsert(ctx, r)
	}
	return results, errs
}

func person(sub, given string) *profile.Profile {
	p := jane(given)
	p.Sub = sub
	return p
}

func TestBatcherGroupsUpsertsAndSettlesEachRecord(t *testing.T) {
	r := newRig(t, nil)
	q, _ := withQueue(r)
	b := &sfBatcher{Connector: r.h.Connector, max: 2, fail: map[string]error{
		"u-2": fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email"),
		"u-3": fault.New(fault.Transient, 503, "SERVER_UNAVAILABLE", "try later"),
	}}
	r.h.Connector = b
	ev := received(batch(t,
		event("e1", profile.Created, "u-1", t0, person("u-1", "Ann")),
		event("e2", profile.Created, "u-2", t0, person("u-2", "Bob")),
		event("e3", profile.Created, "u-3", t0, person("u-3", "Cy")),
		event("e4", profile.Created, "u-4", t0, person("u-4", "Di")),
		event("e5", profile.Created, "u-5", t0, person("u-5", "Ed")),
		event("e6", profile.Updated, "u-1", t0.Add(time.Minute), person("u-1", "Anne")), // second event of u-1: after the batch
		event("e7", profile.Deleted, "u-4", t0.Add(time.Minute), nil),                   // a delete: one by one
	), 1)
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := failed(resp); !slices.Equal(got, []string{"msg-c"}) {
		t.Errorf("failures %v, want only the transient msg-c", got)
	}
	if dead := q.Dead(); len(dead) != 1 || dead[0].Msg.MessageId != "msg-b" {
		t.Errorf("dead letters %+v, want msg-b", dead)
	}
	if !slices.Equal(b.calls, []int{2, 2, 1}) {
		t.Errorf("batch calls %v, want [2 2 1]: five first upserts in calls of at most two", b.calls)
	}
	names := map[string]string{}
	for _, c := range contacts(r) {
		names[c["ProfileSync_Id__c"].(string)] = c["FirstName"].(string)
	}
	if len(names) != 2 || names["u-1"] != "Anne" || names["u-5"] != "Ed" {
		t.Errorf("contacts %v: want u-1 Anne (later event applied after the batch) and u-5 (u-4 deleted)", names)
	}
}

// barrierFetcher answers only once `want` fetches are in flight together,
// so a batch whose profile fetches ran one after another would never get
// past the first (it gives up after a generous deadline and fails).
type barrierFetcher struct {
	want    int
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (f *barrierFetcher) Fetch(ctx context.Context, sub string) (*profile.Profile, error) {
	f.mu.Lock()
	f.waiting++
	if f.waiting == f.want {
		close(f.release)
	}
	f.mu.Unlock()
	select {
	case <-f.release:
		return person(sub, "Thin"), nil
	case <-time.After(10 * time.Second):
		return nil, fault.New(fault.Transient, 0, "", "fetches ran one at a time")
	}
}

func TestBatchFetchesThinProfilesConcurrently(t *testing.T) {
	f := &barrierFetcher{want: 4, release: make(chan struct{})}
	r := newRig(t, nil)
	r.h.Fetchers = map[string]source.Fetcher{"clerk": f}
	r.h.Connector = &sfBatcher{Connector: r.h.Connector, max: 10}
	var evs []profile.Event
	for _, sub := range []string{"u-1", "u-2", "u-3", "u-4"} {
		evs = append(evs, event("e-"+sub, profile.Created, sub, t0, nil))
	}
	resp, err := r.h.Handle(context.Background(), batch(t, evs...))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, err %v", resp.BatchItemFailures, err)
	}
	if n := len(contacts(r)); n != 4 {
		t.Fatalf("%d contacts, want 4", n)
	}
}

// A subject's delete that opens a batch and its re-creation later in the
// same batch apply in batch order: the record exists afterwards.
func TestBatcherAppliesDeleteThenLaterEventInBatchOrder(t *testing.T) {
	r := newRig(t, nil)
	r.h.Connector = &sfBatcher{Connector: r.h.Connector, max: 10}
	ctx := context.Background()
	if _, err := r.h.Deliver(ctx, event("e0", profile.Created, "u-1", t0, person("u-1", "Ann"))); err != nil {
		t.Fatal(err)
	}
	resp, err := r.h.Handle(ctx, batch(t,
		event("e1", profile.Deleted, "u-1", t0.Add(time.Minute), nil),
		event("e2", profile.Created, "u-2", t0, person("u-2", "Bob")),
		event("e3", profile.Created, "u-1", t0.Add(2*time.Minute), person("u-1", "Anew")),
	))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	names := map[string]bool{}
	for _, c := range contacts(r) {
		names[c["FirstName"].(string)] = true
	}
	if !names["Anew"] || !names["Bob"] {
		t.Errorf("contacts %v, want Anew (re-created after its delete) and Bob", names)
	}
}
