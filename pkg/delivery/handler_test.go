package delivery

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
	"github.com/profilesync/profilesync/pkg/source"
)

// rig is the sync handler for the shipped Salesforce mapping over the
// Salesforce fake.
type rig struct {
	h    *Handler
	fake *sfsandbox.Fake
}

func newRig(t *testing.T, fetchers map[string]source.Fetcher) *rig {
	t.Helper()
	return newRigLoaded(t, withPhone, fetchers)
}

// newRigLoaded is newRig with the shipped mapping loaded by l.
func newRigLoaded(t *testing.T, l mapping.Loader, fetchers map[string]source.Fetcher) *rig {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	data, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.Parse("salesforce.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	secret := `{"login_url":"` + srv.URL + `","client_id":"cid","client_secret":"csecret"}`
	conn, err := salesforce.Build("salesforce", m.Settings, []byte(secret), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return &rig{fake: fake, h: &Handler{Target: "salesforce", Mapping: m, Connector: conn, Fetchers: fetchers, State: &MemoryState{}}}
}

var t0 = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

func event(id string, typ profile.EventType, sub string, at time.Time, p *profile.Profile) profile.Event {
	return profile.Event{ID: id, Source: "clerk", Type: typ, Subject: sub, OccurredAt: at, ReceivedAt: at, Profile: p}
}

func jane(given string) *profile.Profile {
	return &profile.Profile{Sub: "u-1", GivenName: given, FamilyName: "Doe", Email: "jane@example.com",
		Address: &profile.Address{Locality: "Berlin"}}
}

func batch(t *testing.T, evs ...profile.Event) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	for i, e := range evs {
		b, err := profile.NewEnvelope("salesforce", e).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "msg-" + string(rune('a'+i)), Body: string(b)})
	}
	return ev
}

func failed(resp events.SQSEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func contacts(r *rig) []map[string]any { return r.fake.Records("Contact") }

func TestCreateUpdateDuplicateStaleDelete(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	steps := []struct {
		name    string
		e       profile.Event
		want    Outcome
		upserts int // total upsert calls at the fake after the step
		first   string
	}{
		{"created", event("e1", profile.Created, "u-1", t0, jane("Jane")), Delivered, 1, "Jane"},
		{"duplicate delivery", event("e1", profile.Created, "u-1", t0, jane("Jane")), Unchanged, 1, "Jane"},
		{"update", event("e2", profile.Updated, "u-1", t0.Add(time.Minute), jane("Janet")), Delivered, 2, "Janet"},
		{"late older update", event("e0", profile.Updated, "u-1", t0.Add(30*time.Second), jane("Old")), Stale, 2, "Janet"},
		{"update that changes no mapped field", event("e3", profile.Updated, "u-1", t0.Add(2*time.Minute), func() *profile.Profile {
			p := jane("Janet")
			p.Website = "https://example.com" // not mapped
			return p
		}()), Unchanged, 2, "Janet"},
	}
	for _, s := range steps {
		out, err := r.h.Deliver(ctx, s.e)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if out != s.want {
			t.Errorf("%s: outcome %s, want %s", s.name, out, s.want)
		}
		if got := r.fake.Calls().Upsert; got != s.upserts {
			t.Errorf("%s: %d upsert calls, want %d", s.name, got, s.upserts)
		}
		c := contacts(r)
		if len(c) != 1 || c[0]["FirstName"] != s.first || c[0]["ProfileSync_Id__c"] != "u-1" || c[0]["MailingCity"] != "Berlin" || c[0]["LeadSource"] != "ProfileSync" {
			t.Errorf("%s: contacts = %v", s.name, c)
		}
	}
	out, err := r.h.Deliver(ctx, event("e4", profile.Deleted, "u-1", t0.Add(3*time.Minute), nil))
	if err != nil || out != Deleted {
		t.Fatalf("delete: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 0 {
		t.Fatalf("contact survived the delete: %v", c)
	}
	// A late update must not bring the deleted contact back.
	out, err = r.h.Deliver(ctx, event("e2b", profile.Updated, "u-1", t0.Add(150*time.Second), jane("Zombie")))
	if err != nil || out != Stale {
		t.Fatalf("late update after delete: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 0 {
		t.Fatalf("deleted contact came back: %v", c)
	}
	// A newer create (re-registration) does.
	out, err = r.h.Deliver(ctx, event("e5", profile.Created, "u-1", t0.Add(4*time.Minute), jane("Jane")))
	if err != nil || out != Delivered || len(contacts(r)) != 1 {
		t.Fatalf("re-create: %s %v %v", out, err, contacts(r))
	}
}

func TestBatchReportsOnlyFailedMessages(t *testing.T) {
	r := newRig(t, nil)
	p2 := jane("Bob")
	p2.Sub = "u-2"
	p3 := jane("Carol")
	p3.Sub = "u-3"
	ev := batch(t,
		event("e1", profile.Created, "u-1", t0, jane("Jane")),
		event("e2", profile.Created, "u-2", t0, p2),
		event("e3", profile.Created, "u-3", t0, p3),
	)
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "garbage", Body: "{not json"})
	// The second upsert fails permanently at Salesforce.
	r.h.Connector = &failSecond{inner: r.h.Connector}
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(failed(resp), ","); got != "msg-b,garbage" {
		t.Fatalf("failures = %q, want msg-b,garbage", got)
	}
	if n := len(contacts(r)); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
}

func TestThinEventWithoutFetcherFails(t *testing.T) {
	r := newRig(t, nil)
	resp, _ := r.h.Handle(context.Background(), batch(t, event("e1", profile.Created, "u-1", t0, nil)))
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("thin event with no fetcher was not reported failed: %+v", resp)
	}
}

func TestThrottledAndExpiredSession(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	r.fake.ThrottleNext(1)
	resp, _ := r.h.Handle(ctx, batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))))
	if len(resp.BatchItemFailures) != 1 || len(contacts(r)) != 0 {
		t.Fatalf("throttled call: failures %v contacts %v", resp.BatchItemFailures, contacts(r))
	}
	// The retry succeeds even though the session expired meanwhile.
	r.fake.ExpireTokens()
	resp, _ = r.h.Handle(ctx, batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))))
	if len(resp.BatchItemFailures) != 0 || len(contacts(r)) != 1 {
		t.Fatalf("retry: failures %v contacts %v", resp.BatchItemFailures, contacts(r))
	}
}

func TestEnvelopeForAnotherTargetFails(t *testing.T) {
	r := newRig(t, nil)
	b, _ := profile.NewEnvelope("webhook", event("e1", profile.Created, "u-1", t0, jane("Jane"))).Marshal()
	resp, _ := r.h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "x", Body: string(b)}}})
	if len(resp.BatchItemFailures) != 1 || len(contacts(r)) != 0 {
		t.Fatalf("misrouted message: %+v %v", resp, contacts(r))
	}
}

// A reconciliation's repair is delivered even when the state says the
// target already holds the record: the plan found it edited or deleted
// by hand in the target. The same event from the CIAM is skipped.
func TestReconcileRepairIsNotSkippedAsUnchanged(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	if out, err := r.h.Deliver(ctx, event("e1", profile.Created, "u-1", t0, jane("Jane"))); err != nil || out != Delivered {
		t.Fatalf("create: %s %v", out, err)
	}
	for _, c := range contacts(r) { // deleted by hand in Salesforce
		r.fake.Remove("Contact", c["Id"].(string))
	}
	same := event("e2", profile.Updated, "u-1", t0.Add(time.Minute), jane("Jane"))
	if out, err := r.h.Deliver(ctx, same); err != nil || out != Unchanged {
		t.Fatalf("the CIAM's own update: %s %v, want skipped_unchanged", out, err)
	}
	repair := event("reconcile-r1-0", profile.Updated, "u-1", t0.Add(2*time.Minute), jane("Jane"))
	repair.SourceType = profile.SourceTypeReconcile
	if out, err := r.h.Deliver(ctx, repair); err != nil || out != Delivered {
		t.Fatalf("the repair: %s %v, want delivered", out, err)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Jane" {
		t.Errorf("contacts after the repair: %v", c)
	}
}
