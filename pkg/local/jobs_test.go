package local

import (
	"context"
	"testing"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/jobstest"
)

func TestJobCheckpoints(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, ctx := NewJobCheckpoints(db), context.Background()
	if c, err := s.Current(ctx, "j"); c != nil || err != nil {
		t.Fatalf("empty: %v %v", c, err)
	}
	c := jobs.Checkpoint{Job: "j", Run: "r1", Cursor: "30", Files: []jobs.File{{Name: "r1/part-00001.csv", Rows: 3}}}
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Cursor = "60"
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Current(ctx, "j")
	if got == nil || got.Cursor != "60" || len(got.Files) != 1 {
		t.Fatalf("current = %+v", got)
	}
	c.Done, c.Watermark = true, "w1"
	if err := s.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Current(ctx, "j"); got != nil {
		t.Errorf("a done run is still current: %+v", got)
	}
	if got, _ := s.Last(ctx, "j"); got == nil || got.Watermark != "w1" {
		t.Errorf("last = %+v", got)
	}
}

// TestJobCheckpointsContract runs the jobs.Checkpoints contract on SQLite.
func TestJobCheckpointsContract(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Checkpoints {
		db, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return NewJobCheckpoints(db)
	})
}
