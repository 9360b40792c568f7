package delivery_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

// logRig is the sync handler for the shipped Salesforce mapping over the
// Salesforce fake, with the local stack's SQLite state and sync log.
type logRig struct {
	h    *delivery.Handler
	log  *local.SyncLog
	dir  string
	fail *switchable
	now  time.Time
}

// switchable fails every call with err while err is set.
type switchable struct {
	inner connector.Connector
	mu    sync.Mutex
	err   error
}

func (s *switchable) set(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }
func (s *switchable) get() error    { s.mu.Lock(); defer s.mu.Unlock(); return s.err }

func (s *switchable) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if err := s.get(); err != nil {
		return connector.Result{}, err
	}
	return s.inner.Upsert(ctx, r)
}

func (s *switchable) Delete(ctx context.Context, r connector.Record) error {
	if err := s.get(); err != nil {
		return err
	}
	return s.inner.Delete(ctx, r)
}

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func newLogRig(t *testing.T) *logRig {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	data, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Loader{Phone: phone.E164}.Parse("salesforce.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	secret := `{"login_url":"` + srv.URL + `","client_id":"cid","client_secret":"csecret"}`
	conn, err := salesforce.Build("salesforce", m.Settings, []byte(secret), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	key, err := local.LogKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &logRig{log: local.NewSyncLog(db, 0), dir: dir, fail: &switchable{inner: conn}, now: t0.Add(time.Hour)}
	q := &delivery.MemoryQueue{}
	r.h = &delivery.Handler{Target: "salesforce", Mapping: m, Connector: r.fail, State: local.NewState(db),
		Journal: r.log, LogKey: key, Visibility: q, DeadLetters: q, Abandoned: q,
		Policy: delivery.Policy{Budget: 3 * time.Hour, BaseDelay: time.Second, Jitter: 0.01},
		Now:    func() time.Time { return r.now }, Log: slog.New(slog.DiscardHandler)}
	return r
}

func person(given, email string) *profile.Profile {
	return &profile.Profile{Sub: "u-1", GivenName: given, FamilyName: "Doe", Email: email,
		PhoneNumber: "+4915112345612", Address: &profile.Address{Locality: "Berlin"},
		Consents: map[string]profile.Consent{"newsletter": {Granted: true}}}
}

// send delivers one event as a queue message received once and returns
// the subject's last log entry.
func (r *logRig) send(t *testing.T, id string, typ profile.EventType, at time.Time, p *profile.Profile) delivery.Entry {
	t.Helper()
	e := profile.Event{ID: id, Source: "clerk", Type: typ, Subject: "u-1", OccurredAt: at, ReceivedAt: at, Profile: p}
	b, err := profile.NewEnvelope("salesforce", e).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	msg := events.SQSMessage{MessageId: "msg-" + id, ReceiptHandle: "rh-" + id, Body: string(b), Attributes: map[string]string{
		"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": "1767261600000"}}
	if _, err := r.h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{msg}}); err != nil {
		t.Fatal(err)
	}
	es, err := r.log.List(context.Background(), "u-1", "salesforce", 1)
	if err != nil || len(es) != 1 || es[0].EventID != id {
		t.Fatalf("last entry %+v, %v; want event %s", es, err, id)
	}
	return es[0]
}

func changed(e delivery.Entry) map[string]delivery.Change {
	out := map[string]delivery.Change{}
	for _, c := range e.Changes {
		out[c.Field] = c
	}
	return out
}

// Every outcome's entry, with its diff against the last record pushed,
// through the real handler and the local stack's SQLite stores.
func TestSyncLogTellsEachOutcome(t *testing.T) {
	r := newLogRig(t)

	created := r.send(t, "e1", profile.Created, t0, person("Jane", "jane@example.com"))
	c := changed(created)
	if created.Outcome != delivery.Delivered || !created.Created || created.RecordID == "" {
		t.Errorf("created: %+v", created)
	}
	for f, want := range map[string]string{"Email": "j***@e***.com", "MobilePhone": "+49***12", "Newsletter_Consent__c": "true", "LeadSource": "ProfileSync"} {
		if c[f].New != want || c[f].Old != "" {
			t.Errorf("created %s: %+v, want new %q", f, c[f], want)
		}
	}
	if !strings.HasPrefix(c["FirstName"].New, "h:") || !strings.HasPrefix(c["MailingCity"].New, "h:") {
		t.Errorf("created: hashed fields %+v", c)
	}

	updated := r.send(t, "e2", profile.Updated, t0.Add(time.Minute), person("Janet", "jane@example.com"))
	if updated.Outcome != delivery.Delivered || updated.Created || len(updated.Changes) != 1 {
		t.Fatalf("updated: %+v, want one change", updated)
	}
	if ch := updated.Changes[0]; ch.Field != "FirstName" || ch.Old != c["FirstName"].New || !strings.HasPrefix(ch.New, "h:") || ch.New == ch.Old {
		t.Errorf("updated FirstName: %+v (created as %q)", ch, c["FirstName"].New)
	}

	same := r.send(t, "e3", profile.Updated, t0.Add(2*time.Minute), person("Janet", "jane@example.com"))
	if same.Outcome != delivery.Unchanged || len(same.Changes) != 0 {
		t.Errorf("unchanged: %+v", same)
	}

	stale := r.send(t, "e0", profile.Updated, t0.Add(-time.Minute), person("Old", "old@example.com"))
	if stale.Outcome != delivery.Stale || len(stale.Changes) != 0 {
		t.Errorf("stale: %+v", stale)
	}

	r.fail.set(fault.New(fault.Transient, 503, "SERVER_UNAVAILABLE", "down"))
	retrying := r.send(t, "e4", profile.Updated, t0.Add(3*time.Minute), person("Janet", "j.doe@example.org"))
	if retrying.Outcome != delivery.Retrying || !strings.Contains(retrying.Reason, "503") || retrying.Attempts != 1 {
		t.Errorf("retrying: %+v", retrying)
	}
	if ch := changed(retrying)["Email"]; len(retrying.Changes) != 1 || ch.Old != "j***@e***.com" || ch.New != "j***@e***.org" {
		t.Errorf("retrying: the pending diff %+v", retrying.Changes)
	}

	r.fail.set(fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email"))
	dead := r.send(t, "e5", profile.Updated, t0.Add(4*time.Minute), person("Janet", "j.doe@example.org"))
	if dead.Outcome != delivery.Abandon || !strings.Contains(dead.Reason, "INVALID_EMAIL_ADDRESS") || len(dead.Changes) != 1 {
		t.Errorf("dead-lettered: %+v", dead)
	}

	r.fail.set(nil)
	deleted := r.send(t, "e6", profile.Deleted, t0.Add(5*time.Minute), nil)
	d := changed(deleted)
	if deleted.Outcome != delivery.Deleted || d["Email"].Old != "j***@e***.com" || d["Email"].New != "" || d["FirstName"].Old != updated.Changes[0].New {
		t.Errorf("deleted: %+v", deleted)
	}

	again := r.send(t, "e7", profile.Created, t0.Add(6*time.Minute), person("Jane", "jane@example.com"))
	if !again.Created || changed(again)["Email"].Old != "" {
		t.Errorf("created after delete: %+v, want all fields new", again)
	}

	all, err := r.log.List(context.Background(), "u-1", "", 0)
	if err != nil || len(all) != 8 {
		t.Fatalf("story of %d entries, %v; want 8", len(all), err)
	}
	assertNoRawValues(t, r.dir, "jane@example.com", "j.doe@example.org", "4915112345612", "Janet", "Berlin")
}

// assertNoRawValues reads every row of the sync log and the state as
// stored and fails on any of raw.
func assertNoRawValues(t *testing.T, dir string, raw ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, local.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []string
	for _, q := range []string{`select entry from sync_log`, `select fields from sync_state`} {
		rs, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var s string
			if err := rs.Scan(&s); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, s)
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			t.Fatal(err)
		}
	}
	if len(rows) < 2 {
		t.Fatalf("read %d rows", len(rows))
	}
	for _, row := range rows {
		for _, v := range raw {
			if strings.Contains(row, v) {
				t.Errorf("stored row holds %q: %s", v, row)
			}
		}
	}
}

// Without a key no prints are kept and entries carry no diff.
func TestSyncLogWithoutKeyHasNoDiff(t *testing.T) {
	r := newLogRig(t)
	r.h.LogKey = nil
	e := r.send(t, "e1", profile.Created, t0, person("Jane", "jane@example.com"))
	if e.Outcome != delivery.Delivered || len(e.Changes) != 0 {
		t.Errorf("entry %+v", e)
	}
	st, _, _ := r.h.State.Get(context.Background(), "salesforce", "u-1")
	if st.Fields != nil || st.Hash == "" {
		t.Errorf("state %+v", st)
	}
}
