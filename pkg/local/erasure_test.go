package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// A confirmed erasure is final: a resent delete opens nothing anew, and
// its second delivery (skipped, or confirmed later) keeps the first
// confirmation. A failed one can still be confirmed by a redrive.
func TestConfirmedErasureIsFinal(t *testing.T) {
	l := NewSyncLog(openDB(t, t.TempDir()), 0)
	ctx := context.Background()
	asked := time.Now().UTC().Truncate(time.Millisecond)
	open := []delivery.Erasure{{Subject: "u-2", Target: "crm", EventID: "del-1", RequestedAt: asked},
		{Subject: "u-2", Target: "ldap", EventID: "del-1", RequestedAt: asked}}
	if err := l.Open(ctx, open); err != nil {
		t.Fatal(err)
	}
	del := func(target string, out delivery.Outcome, reason string, at time.Duration) delivery.Entry {
		return delivery.Entry{Target: target, Subject: "u-2", EventID: "del-1", EventType: "deleted", Outcome: out,
			Reason: reason, Attempts: 1, EventAt: asked, At: asked.Add(at)}
	}
	steps := [][]delivery.Entry{
		{del("crm", delivery.Deleted, "", time.Second), del("ldap", delivery.Abandon, "permanent 400", time.Second)},
		{del("crm", delivery.Ignored, "", 2*time.Second), del("ldap", delivery.Deleted, "", 2*time.Second)},
		{del("crm", delivery.Deleted, "", 3*time.Second)},
	}
	for i, batch := range steps {
		if err := l.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := l.Open(ctx, open); err != nil { // the CIAM's resend
				t.Fatal(err)
			}
		}
	}
	got, err := l.Erasures(ctx, "u-2", "")
	if err != nil || len(got) != 2 {
		t.Fatalf("Erasures = %+v, %v", got, err)
	}
	for _, e := range got {
		want := asked.Add(time.Second)
		if e.Target == "ldap" {
			want = asked.Add(2 * time.Second) // failed, then redriven and confirmed
		}
		if e.Status != delivery.ErasureConfirmed || !e.SettledAt.Equal(want) || e.Outcome != delivery.Deleted {
			t.Errorf("%s: %+v, want confirmed at %v", e.Target, e, want)
		}
	}
}

// BenchmarkOpenErasures is the local ingress's ledger write for one
// delete routed to three targets: one transaction.
func BenchmarkOpenErasures(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	l := NewSyncLog(db, 0)
	ctx := context.Background()
	at := time.Now()
	i := 0
	for b.Loop() {
		id := fmt.Sprint("del-", i)
		i++
		if err := l.Open(ctx, []delivery.Erasure{{Subject: "u-1", Target: "crm", EventID: id, RequestedAt: at},
			{Subject: "u-1", Target: "ldap", EventID: id, RequestedAt: at}, {Subject: "u-1", Target: "mailer", EventID: id, RequestedAt: at}}); err != nil {
			b.Fatal(err)
		}
	}
}
