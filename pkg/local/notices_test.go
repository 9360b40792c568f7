package local

import (
	"context"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// Notices survive a reopen of the database, keep their order and type,
// and list per target.
func TestNotices(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	in := []delivery.Notice{
		{Type: delivery.NoticeSynced, Target: "salesforce", Subject: "u-1", EventID: "e1", Outcome: "delivered", RecordID: "003x", At: at},
		{Type: delivery.NoticeAbandoned, Target: "salesforce", Subject: "u-2", EventID: "e2", Reason: "permanent: 400", Attempts: 1, At: at},
		{Type: delivery.NoticeSynced, Target: "hubspot", Subject: "u-1", EventID: "e1", Outcome: "delivered", At: at},
	}
	if err := NewNotices(db).Notify(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := NewNotices(openDB(t, dir)).List(ctx, "salesforce", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != in[0] || got[1] != in[1] {
		t.Fatalf("salesforce notices %+v, want %+v", got, in[:2])
	}
}
