// Package jobstest is the contract every jobs.Checkpoints keeps, as one
// suite each implementation runs against itself: the in-memory store
// (this package's own test), the SQLite store of pkg/local and the
// DynamoDB store of pkg/awsadapter (against moto). A store that passes
// it can stand in for any other.
package jobstest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// t0 is the suite's clock, in UTC and whole seconds, so that a store
// keeping JSON and one keeping time.Time agree.
var t0 = time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)

// Run runs the contract against stores newStore returns; each subtest
// gets a store of its own.
func Run(t *testing.T, newStore func(t *testing.T) jobs.Checkpoints) {
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		s := newStore(t)
		for name, get := range map[string]func(context.Context, string) (*jobs.Checkpoint, error){"current": s.Current, "last": s.Last} {
			if c, err := get(ctx, "newsletter"); c != nil || err != nil {
				t.Errorf("%s of a job never run: %+v, %v; want nil, nil", name, c, err)
			}
		}
	})
	t.Run("current is the latest save", func(t *testing.T) {
		s := newStore(t)
		c := checkpoint("newsletter", "r1")
		save(t, s, c)
		c.Cursor, c.Rows, c.Listed = "page-3", 250, 300
		c.Files = append(c.Files, jobs.File{Name: "r1/part-00002.csv.gz", Rows: 150, Bytes: 2048, SHA256: "bb"})
		save(t, s, c)
		got := current(t, s, "newsletter")
		if !reflect.DeepEqual(got, &c) {
			t.Errorf("current = %+v\nwant      %+v", got, c)
		}
		if l, err := s.Last(ctx, "newsletter"); l != nil || err != nil {
			t.Errorf("last before any run finished: %+v, %v", l, err)
		}
	})
	t.Run("done moves current to last", func(t *testing.T) {
		s := newStore(t)
		c := checkpoint("newsletter", "r1")
		save(t, s, c)
		c.Done, c.Finished, c.Watermark = true, t0.Add(10*time.Minute), "2026-12-01T23:59:59.000000000Z"
		save(t, s, c)
		if got := current(t, s, "newsletter"); got != nil {
			t.Errorf("current after the run finished: %+v; want none", got)
		}
		got, err := s.Last(ctx, "newsletter")
		if err != nil || !reflect.DeepEqual(got, &c) {
			t.Errorf("last = %+v, %v\nwant   %+v", got, err, c)
		}
		// The next run starts while the last one stays.
		next := checkpoint("newsletter", "r2")
		next.Since = c.Watermark
		save(t, s, next)
		if got := current(t, s, "newsletter"); got == nil || got.Run != "r2" || got.Since != c.Watermark {
			t.Errorf("current of the next run: %+v", got)
		}
		if got, _ := s.Last(ctx, "newsletter"); got == nil || got.Run != "r1" {
			t.Errorf("last while the next run goes on: %+v; want r1", got)
		}
	})
	t.Run("jobs are apart", func(t *testing.T) {
		s := newStore(t)
		a, b := checkpoint("newsletter", "r1"), checkpoint("churn", "r9")
		save(t, s, a)
		b.Done = true
		save(t, s, b)
		if got := current(t, s, "newsletter"); got == nil || got.Run != "r1" {
			t.Errorf("newsletter's current after churn finished: %+v", got)
		}
		if got := current(t, s, "churn"); got != nil {
			t.Errorf("churn's current: %+v; want none", got)
		}
		if got, _ := s.Last(ctx, "newsletter"); got != nil {
			t.Errorf("newsletter's last: %+v; want none", got)
		}
	})
	t.Run("a read copy is the caller's", func(t *testing.T) {
		s := newStore(t)
		save(t, s, checkpoint("newsletter", "r1"))
		got := current(t, s, "newsletter")
		got.Files[0].Name, got.Cursor = "changed", "changed"
		if again := current(t, s, "newsletter"); again.Files[0].Name == "changed" || again.Cursor == "changed" {
			t.Errorf("changing what Current returned changed the store: %+v", again)
		}
	})
	t.Run("a lease keeps a second run out until it ends or expires", func(t *testing.T) {
		s := newStore(t)
		l, ok := s.(jobs.Leases)
		if !ok {
			t.Fatalf("%T keeps no leases", s)
		}
		take := func(holder string, until, now time.Time) bool {
			t.Helper()
			got, err := l.Acquire(ctx, "newsletter", holder, until, now)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if !take("a", t0.Add(15*time.Minute), t0) {
			t.Fatal("the first run did not get the lease")
		}
		if take("b", t0.Add(20*time.Minute), t0.Add(time.Minute)) {
			t.Error("a second run got the lease while the first has it")
		}
		if !take("a", t0.Add(30*time.Minute), t0.Add(2*time.Minute)) {
			t.Error("the holder could not renew its lease")
		}
		if got, err := l.Acquire(ctx, "churn", "b", t0.Add(time.Hour), t0); err != nil || !got {
			t.Errorf("another job's lease: %v %v", got, err)
		}
		if err := l.Release(ctx, "newsletter", "b"); err != nil {
			t.Fatal(err)
		}
		if take("c", t0.Add(time.Hour), t0.Add(3*time.Minute)) {
			t.Error("a release by a non-holder freed the lease")
		}
		if err := l.Release(ctx, "newsletter", "a"); err != nil {
			t.Fatal(err)
		}
		if !take("b", t0.Add(time.Hour), t0.Add(4*time.Minute)) {
			t.Error("the lease was not free after its holder released it")
		}
		if !take("c", t0.Add(2*time.Hour), t0.Add(61*time.Minute)) {
			t.Error("an expired lease was not taken over")
		}
		if c := current(t, s, "newsletter"); c != nil {
			t.Errorf("the lease shows as a run: %+v", c)
		}
	})
}

func checkpoint(job, run string) jobs.Checkpoint {
	return jobs.Checkpoint{Job: job, Run: run, Started: t0, Cursor: "page-2",
		Files: []jobs.File{{Name: run + "/part-00001.csv.gz", Rows: 100, Bytes: 1024, SHA256: "aa"}}, Rows: 100, Listed: 120}
}

func save(t *testing.T, s jobs.Checkpoints, c jobs.Checkpoint) {
	t.Helper()
	if err := s.Save(context.Background(), c); err != nil {
		t.Fatalf("save %s/%s: %v", c.Job, c.Run, err)
	}
}

func current(t *testing.T, s jobs.Checkpoints, job string) *jobs.Checkpoint {
	t.Helper()
	c, err := s.Current(context.Background(), job)
	if err != nil {
		t.Fatalf("current %s: %v", job, err)
	}
	return c
}
