package local

import (
	"context"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// Rows older than the cutoff go, newer ones stay; a live row with a
// back-end id stays at any age; a dry run counts and deletes nothing.
func TestExpireStateByAge(t *testing.T) {
	db := openDB(t, t.TempDir())
	s := NewState(db)
	ctx := context.Background()
	cutoff := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	old, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	rows := []struct {
		subject string
		st      delivery.State
		gone    bool
	}{
		{"old-tombstone", delivery.State{LastEventAt: old, Deleted: true, RecordID: "r1"}, true},
		{"old-no-id", delivery.State{LastEventAt: old, Hash: "h"}, true},
		{"old-with-id", delivery.State{LastEventAt: old, RecordID: "r2"}, false},
		{"new-tombstone", delivery.State{LastEventAt: recent, Deleted: true}, false},
		{"new-no-id", delivery.State{LastEventAt: recent}, false},
	}
	for _, r := range rows {
		if err := s.Put(ctx, "brevo", r.subject, r.st); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.ExpireState(ctx, cutoff, true); err != nil || n != 2 {
		t.Fatalf("dry run = %d, %v; want 2", n, err)
	}
	if _, found, _ := s.Get(ctx, "brevo", "old-tombstone"); !found {
		t.Fatal("the dry run deleted")
	}
	if n, err := s.ExpireState(ctx, cutoff, false); err != nil || n != 2 {
		t.Fatalf("expire = %d, %v; want 2", n, err)
	}
	for _, r := range rows {
		if _, found, err := s.Get(ctx, "brevo", r.subject); err != nil || found == r.gone {
			t.Errorf("%s: found %v, %v; want gone %v", r.subject, found, err, r.gone)
		}
	}
}

func TestExpireAbandonedByAge(t *testing.T) {
	db := openDB(t, t.TempDir())
	s := NewState(db)
	ctx := context.Background()
	for _, ev := range []string{"e-old", "e-new"} {
		if err := s.RecordAbandoned(ctx, delivery.Abandoned{Target: "brevo", Subject: "u-1", EventID: ev, Reason: delivery.Reason{Class: "permanent", Message: "refused"}}); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := time.Now().Add(-24 * time.Hour)
	if _, err := db.sql.ExecContext(ctx, `update abandoned set abandoned_at = ? where event_id = 'e-old'`, cutoff.Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireAbandoned(ctx, cutoff, true); err != nil || n != 1 {
		t.Fatalf("dry run = %d, %v; want 1", n, err)
	}
	if n, err := s.ExpireAbandoned(ctx, cutoff, false); err != nil || n != 1 {
		t.Fatalf("expire = %d, %v; want 1", n, err)
	}
	left, err := s.ListAbandoned(ctx, "brevo")
	if err != nil || len(left) != 1 || left[0].EventID != "e-new" {
		t.Fatalf("left = %+v, %v; want e-new only", left, err)
	}
}
