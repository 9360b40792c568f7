package local

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

func archived(id string, at time.Time, targets ...string) ingress.ArchivedEvent {
	return ingress.ArchivedEvent{Targets: targets, Event: profile.Event{ID: id, Source: "cidaas", Type: profile.Updated,
		Subject: "sub-" + id, OccurredAt: at.Add(-time.Second), ReceivedAt: at,
		Profile: &profile.Profile{Sub: "sub-" + id, FamilyName: "Doe"}}}
}

func TestArchiveRoundTripByReceiptTime(t *testing.T) {
	db := openDB(t, t.TempDir())
	a := NewArchive(db)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	a.Now = func() time.Time { return t0.Add(2 * time.Hour) }
	if err := a.Archive(ctx, []ingress.ArchivedEvent{archived("e1", t0, "salesforce"), archived("e2", t0, "salesforce", "webhook")}); err != nil {
		t.Fatal(err)
	}
	if err := a.Archive(ctx, []ingress.ArchivedEvent{archived("e3", t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	all, err := a.Read(ctx, t0, t0.Add(time.Hour+1))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.Event.ID)
	}
	if !slices.Equal(ids, []string{"e1", "e2", "e3"}) {
		t.Fatalf("read %v, want e1 e2 e3", ids)
	}
	e2 := all[1]
	if !e2.Event.ReceivedAt.Equal(t0) || e2.Event.Profile == nil || e2.Event.Profile.FamilyName != "Doe" ||
		!slices.Equal(e2.Targets, []string{"salesforce", "webhook"}) {
		t.Errorf("e2 read back as %+v", e2)
	}
	// [since, until): the upper bound is out, the lower in.
	if got, _ := a.Read(ctx, t0, t0.Add(time.Hour)); len(got) != 2 {
		t.Errorf("read up to e3's time: %d events, want 2", len(got))
	}
	if got, _ := a.Read(ctx, t0.Add(1), t0.Add(2*time.Hour)); len(got) != 1 || got[0].Event.ID != "e3" {
		t.Errorf("read after e1, e2: %+v", got)
	}
}

func TestArchiveExpiresPastRetention(t *testing.T) {
	db := openDB(t, t.TempDir())
	a := NewArchive(db)
	ctx := context.Background()
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	old, kept := now.Add(-ArchiveRetention-time.Minute), now.Add(-ArchiveRetention+time.Minute)
	if n, err := a.Expire(ctx, now, true); err != nil || n != 0 {
		t.Fatalf("empty archive: %d, %v", n, err)
	}
	// The write sweeps: the old row of this very call goes, the one
	// within retention stays.
	if err := a.Archive(ctx, []ingress.ArchivedEvent{archived("old", old), archived("kept", kept)}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Read(ctx, time.Time{}, now)
	if err != nil || len(got) != 1 || got[0].Event.ID != "kept" {
		t.Fatalf("after the sweep: %+v, %v; want only kept", got, err)
	}
	// Within the hour no second sweep; Expire itself still works, and a
	// dry run only counts.
	if err := a.Archive(ctx, []ingress.ArchivedEvent{archived("old2", old)}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Expire(ctx, now.Add(-ArchiveRetention), true); err != nil || n != 1 {
		t.Fatalf("dry run = %d, %v; want 1", n, err)
	}
	if n, err := a.Expire(ctx, now.Add(-ArchiveRetention), false); err != nil || n != 1 {
		t.Fatalf("expire = %d, %v; want 1", n, err)
	}
	if got, _ := a.Read(ctx, time.Time{}, now); len(got) != 1 {
		t.Errorf("after expiry: %d events, want 1", len(got))
	}
}

// An archive written before a restart is read after it (the table
// survives reopening, and a database of an older version gains it).
func TestArchiveSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC()
	if err := NewArchive(db).Archive(context.Background(), []ingress.ArchivedEvent{archived("e1", t0)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	got, err := NewArchive(openDB(t, dir)).Read(context.Background(), t0, t0.Add(1))
	if err != nil || len(got) != 1 {
		t.Fatalf("after reopen: %d, %v", len(got), err)
	}
}
