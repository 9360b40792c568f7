package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// BenchmarkArchive is the local ingress's extra work per webhook request
// of one event: one insert in its own transaction.
func BenchmarkArchive(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := NewArchive(db)
	ctx := context.Background()
	t0 := time.Now()
	a.Now = func() time.Time { return t0 }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := a.Archive(ctx, []ingress.ArchivedEvent{archived(fmt.Sprint("e", i), t0, "salesforce", "webhook")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArchiveRead reads an hour of 10,000 archived events back, as
// `profilesync replay` does.
func BenchmarkArchiveRead(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := NewArchive(db)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Hour)
	a.Now = func() time.Time { return t0 }
	const n = 10_000
	evs := make([]ingress.ArchivedEvent, 0, 100)
	for i := range n {
		evs = append(evs, archived(fmt.Sprint("e", i), t0.Add(time.Duration(i)*time.Millisecond*300), "salesforce"))
		if len(evs) == cap(evs) {
			if err := a.Archive(ctx, evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := a.Read(ctx, t0, t0.Add(time.Hour))
		if err != nil || len(got) != n {
			b.Fatalf("read %d, %v", len(got), err)
		}
	}
}
