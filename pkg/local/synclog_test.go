package local

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

func TestSyncLogListsASubjectsStory(t *testing.T) {
	db := openDB(t, t.TempDir())
	l := NewSyncLog(db, 0)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Second)
	entry := func(target, subject, id string, at time.Duration, out delivery.Outcome) delivery.Entry {
		return delivery.Entry{Target: target, Subject: subject, EventID: id, Outcome: out, At: t0.Add(at),
			Changes: []delivery.Change{{Field: "Email", Old: "h:3fa29c0e1b2d", New: "h:91bc00aa11ff"}}}
	}
	if err := l.Record(ctx, []delivery.Entry{
		entry("crm", "u-1", "e1", 0, delivery.Delivered),
		entry("crm", "u-2", "e2", 0, delivery.Delivered),
		entry("mailer", "u-1", "e3", time.Second, delivery.Retrying),
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(ctx, []delivery.Entry{entry("crm", "u-1", "e4", 2*time.Second, delivery.Unchanged)}); err != nil {
		t.Fatal(err)
	}
	ids := func(es []delivery.Entry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.EventID)
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct {
		target string
		limit  int
		want   string
	}{
		{"", 0, "e1,e3,e4"},
		{"crm", 0, "e1,e4"},
		{"", 2, "e3,e4"}, // the last two, oldest first
		{"hubspot", 0, ""},
	} {
		got, err := l.List(ctx, "u-1", tt.target, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tt.want {
			t.Errorf("List(u-1, %q, %d) = %s, want %s", tt.target, tt.limit, ids(got), tt.want)
		}
	}
	got, _ := l.List(ctx, "u-1", "crm", 1)
	if len(got) != 1 || len(got[0].Changes) != 1 || got[0].Changes[0].New != "h:91bc00aa11ff" || !got[0].At.Equal(t0.Add(2*time.Second)) {
		t.Errorf("entry did not round-trip: %+v", got)
	}
}

// Entries past the retention are not listed, and go: with the next batch
// recorded, or with the clean-up's ExpireSyncLog.
func TestSyncLogExpires(t *testing.T) {
	db := openDB(t, t.TempDir())
	l := NewSyncLog(db, time.Hour)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	old := delivery.Entry{Target: "crm", Subject: "u-1", EventID: "old", Outcome: delivery.Delivered, At: now.Add(-2 * time.Hour)}
	recent := delivery.Entry{Target: "crm", Subject: "u-1", EventID: "recent", Outcome: delivery.Delivered, At: now.Add(-time.Minute)}
	s := NewState(db)
	if err := l.Record(ctx, []delivery.Entry{recent}); err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return old.At }
	if err := l.Record(ctx, []delivery.Entry{old}); err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return now }
	if got, _ := l.List(ctx, "u-1", "", 0); len(got) != 1 || got[0].EventID != "recent" {
		t.Errorf("listed %+v, want only the recent entry", got)
	}
	if n, err := s.ExpireSyncLog(ctx, now, true); err != nil || n != 1 {
		t.Fatalf("dry run = %d, %v; want 1", n, err)
	}
	if n, err := s.ExpireSyncLog(ctx, now, false); err != nil || n != 1 {
		t.Fatalf("expire = %d, %v; want 1", n, err)
	}
	l.now = func() time.Time { return old.At }
	if err := l.Record(ctx, []delivery.Entry{old}); err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return now }
	if err := l.Record(ctx, []delivery.Entry{recent}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `select count(*) from sync_log where expires_at < ?`, now.UnixNano()).Scan(&n); err != nil || n != 0 {
		t.Errorf("expired rows after a Record: %d, %v", n, err)
	}
}

// A version 6 database gains sync_state.fields and the sync log, and keeps
// its state.
func TestMigrateFromVersion6(t *testing.T) {
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{
		goqiteSchema,
		`create table sync_state (target text not null, subject text not null, last_event_at integer,
			last_event_id text not null default '', record_id text not null default '', hash text not null default '',
			deleted integer not null default 0, updated_at integer not null, primary key (target, subject)) strict, without rowid`,
		`insert into sync_state (target, subject, last_event_at, last_event_id, record_id, hash, updated_at) values ('crm', 'u-1', 1, 'e1', 'r1', 'h1', 1)`,
		`pragma user_version = 6`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db := openDB(t, dir)
	s := NewState(db)
	st, found, err := s.Get(ctx, "crm", "u-1")
	if err != nil || !found || st.RecordID != "r1" || st.Fields != nil {
		t.Fatalf("Get after migration = %+v, %v, %v", st, found, err)
	}
	st.LastEventAt, st.Fields = st.LastEventAt.Add(time.Second), map[string]string{"Email": "3fa29c0e1b2d"}
	if err := s.Put(ctx, "crm", "u-1", st); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, "crm", "u-1"); got.Fields["Email"] != "3fa29c0e1b2d" {
		t.Errorf("fields after migration: %+v", got)
	}
	if err := NewSyncLog(db, 0).Record(ctx, []delivery.Entry{{Target: "crm", Subject: "u-1", Outcome: delivery.Delivered}}); err != nil {
		t.Errorf("no sync log after migration: %v", err)
	}
}

// The key is made once and read back the same; a damaged file is an
// error, not a new key (which would make every field look changed).
func TestLogKey(t *testing.T) {
	dir := t.TempDir()
	a, err := LogKey(dir)
	if err != nil || len(a) != 32 {
		t.Fatalf("LogKey = %x, %v", a, err)
	}
	b, err := LogKey(dir)
	if err != nil || string(a) != string(b) {
		t.Fatalf("second LogKey = %x, %v; want %x", b, err, a)
	}
	if fi, err := os.Stat(filepath.Join(dir, LogKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v", fi.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(dir, LogKeyFile), []byte("nothex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LogKey(dir); err == nil {
		t.Error("damaged key accepted")
	}
}

// The ledger: pending when asked for, then what the delete's entries made
// of it per target; a late retry entry does not reopen a confirmed one,
// and other events leave it alone.
func TestErasureLedger(t *testing.T) {
	db := openDB(t, t.TempDir())
	l := NewSyncLog(db, 0)
	ctx := context.Background()
	asked := time.Now().UTC().Truncate(time.Millisecond)
	if err := l.Open(ctx, []delivery.Erasure{
		{Subject: "u-1", Target: "crm", EventID: "erase-1", RequestedAt: asked},
		{Subject: "u-1", Target: "mailer", EventID: "erase-1", RequestedAt: asked},
		{Subject: "u-1", Target: "ldap", EventID: "erase-1", RequestedAt: asked},
	}); err != nil {
		t.Fatal(err)
	}
	del := func(target string, out delivery.Outcome, reason string, at time.Duration) delivery.Entry {
		return delivery.Entry{Target: target, Subject: "u-1", EventID: "erase-1", EventType: "deleted", Outcome: out,
			Reason: reason, Attempts: 1, EventAt: asked, At: asked.Add(at)}
	}
	for _, batch := range [][]delivery.Entry{
		{del("crm", delivery.Retrying, "transient 503", time.Second), del("mailer", delivery.Abandon, "permanent 400 bad", time.Second),
			{Target: "crm", Subject: "u-1", EventID: "e9", EventType: "updated", Outcome: delivery.Delivered, At: asked}},
		{del("crm", delivery.Deleted, "", 2*time.Second)},
		{del("crm", delivery.Retrying, "transient 503", 3*time.Second)}, // a late redelivery's failure
	} {
		if err := l.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Erasures(ctx, "u-1", "")
	if err != nil || len(got) != 3 {
		t.Fatalf("Erasures = %+v, %v", got, err)
	}
	by := map[string]delivery.Erasure{}
	for _, e := range got {
		by[e.Target] = e
	}
	if e := by["crm"]; e.Status != delivery.ErasureConfirmed || !e.SettledAt.Equal(asked.Add(2*time.Second)) || !e.RequestedAt.Equal(asked) {
		t.Errorf("crm: %+v, want confirmed at +2s, asked at %v", e, asked)
	}
	if e := by["mailer"]; e.Status != delivery.ErasureFailed || e.Reason != "permanent 400 bad" {
		t.Errorf("mailer: %+v, want failed with the reason", e)
	}
	if e := by["ldap"]; e.Status != delivery.ErasurePending || !e.SettledAt.IsZero() {
		t.Errorf("ldap: %+v, want pending", e)
	}
	if only, _ := l.Erasures(ctx, "u-1", "mailer"); len(only) != 1 {
		t.Errorf("Erasures(mailer) = %+v", only)
	}
}

// BenchmarkSyncLogRecord is one batch of ten entries, each with three
// changes, into SQLite.
func BenchmarkSyncLogRecord(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := NewSyncLog(db, 0)
	es := make([]delivery.Entry, 10)
	for i := range es {
		es[i] = delivery.Entry{Target: "crm", Subject: "u-" + strconv.Itoa(i), EventID: "e", EventType: "updated",
			Outcome: delivery.Delivered, At: time.Now(), Changes: []delivery.Change{{Field: "Email", Old: "j***@e***.com", New: "j***@e***.org"},
				{Field: "FirstName", Old: "h:3fa29c0e1b2d", New: "h:91bc00aa11ff"}, {Field: "Opt", Old: "false", New: "true"}}}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Record(ctx, es); err != nil {
			b.Fatal(err)
		}
	}
}
