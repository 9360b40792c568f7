package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/metrics"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

var t0 = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)

// deadLetters keeps what the handler abandons.
type deadLetters struct {
	mu  sync.Mutex
	ids []string
}

func (d *deadLetters) DeadLetter(_ context.Context, m events.SQSMessage, _ delivery.Reason) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, m.MessageId)
	return nil
}

// rig is the shipped Salesforce mapping's sync handler over the Salesforce
// fake, its journal the metrics into out (and its log into logs).
type rig struct {
	h    *delivery.Handler
	fake *sfsandbox.Fake
	out  bytes.Buffer
	logs bytes.Buffer
}

func newRig(t *testing.T, also ...delivery.Journal) *rig {
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
	r := &rig{fake: fake}
	now := func() time.Time { return t0.Add(90 * time.Second) }
	r.h = &delivery.Handler{Target: "salesforce", Mapping: m, Connector: conn, State: &delivery.MemoryState{},
		DeadLetters: &deadLetters{}, Now: now, Log: slog.New(slog.NewJSONHandler(&r.logs, nil)),
		Journal: metrics.Join(append(also, metrics.Journal{Emitter: &metrics.Emitter{W: &r.out, Now: now}})...)}
	return r
}

func person(sub, given string) *profile.Profile {
	return &profile.Profile{Sub: sub, GivenName: given, FamilyName: "Doe", Email: sub + "@example.com"}
}

func event(id string, typ profile.EventType, sub string, at time.Time, p *profile.Profile) profile.Event {
	return profile.Event{ID: id, Source: "clerk", Type: typ, Subject: sub, OccurredAt: at, ReceivedAt: at, Profile: p}
}

func consent(id, sub string) profile.Event {
	e := event(id, profile.ConsentGranted, sub, t0, person(sub, "Ed"))
	e.Purpose = "newsletter"
	return e
}

func batch(t *testing.T, evs ...profile.Event) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	for _, e := range evs {
		b, err := profile.NewEnvelope("salesforce", e).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: e.ID + "-msg", Body: string(b),
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": "0"}})
	}
	return ev
}

// handle runs one batch and returns the metric lines it wrote, each
// checked against the specification.
func (r *rig) handle(t *testing.T, ev events.SQSEvent) []emfDoc {
	t.Helper()
	r.out.Reset()
	if _, err := r.h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return parseEMF(t, r.out.Bytes())
}

// byDims indexes lines by their dimension values ("salesforce",
// "salesforce/skipped_stale").
func byDims(t *testing.T, docs []emfDoc) map[string]emfDoc {
	t.Helper()
	out := map[string]emfDoc{}
	for _, d := range docs {
		if len(d.Namespaces) != 1 || d.Namespaces[0] != metrics.Namespace {
			t.Errorf("namespaces %v", d.Namespaces)
		}
		k := d.dim(metrics.DimTarget)
		if r := d.dim(metrics.DimReason); r != "" {
			k += "/" + r
		}
		if _, dup := out[k]; dup {
			t.Errorf("two lines for %s in one batch", k)
		}
		out[k] = d
	}
	return out
}

func wantCounts(t *testing.T, d emfDoc, want map[string]float64) {
	t.Helper()
	for n, v := range want {
		if got := d.Metrics[n]; len(got) != 1 || got[0] != v {
			t.Errorf("%s %v: %s = %v, want %v", d.dim(metrics.DimTarget), d.dim(metrics.DimReason), n, got, v)
		}
	}
}

func TestJournalCountsARealBatchPerTarget(t *testing.T) {
	r := newRig(t)
	r.fake.FailRecord("u-2", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "rejected by a validation rule")
	r.fake.FailRecord("u-3", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")
	docs := byDims(t, r.handle(t, batch(t,
		event("e1", profile.Created, "u-1", t0, person("u-1", "Ann")),
		event("e2", profile.Created, "u-2", t0, person("u-2", "Bo")),
		event("e3", profile.Created, "u-3", t0, person("u-3", "Cy")),
		event("e4", profile.Created, "u-4", t0.Add(30*time.Second), person("u-4", "Di")),
	)))
	if len(docs) != 3 {
		t.Fatalf("lines %v: want one for the target and one per failure class", keys(docs))
	}
	tgt := docs["salesforce"]
	wantCounts(t, tgt, map[string]float64{"Received": 4, "Delivered": 2, "Deleted": 0, "Skipped": 0, "Retried": 1, "DeadLettered": 1, "ErasureFailed": 0})
	lat := slices.Sorted(slices.Values(tgt.Metrics["EventToDeliveryLatency"]))
	if !slices.Equal(lat, []float64{60000, 90000}) || tgt.Units["EventToDeliveryLatency"] != "Milliseconds" {
		t.Errorf("latency %v %s, want [60000 90000] ms (the two deliveries only)", lat, tgt.Units["EventToDeliveryLatency"])
	}
	wantCounts(t, docs["salesforce/permanent"], map[string]float64{"DeadLettered": 1})
	wantCounts(t, docs["salesforce/transient"], map[string]float64{"Retried": 1})

	// The next batch: a delete, a repeat, an older event and one the
	// mapping does not subscribe to.
	docs = byDims(t, r.handle(t, batch(t,
		event("e5", profile.Deleted, "u-4", t0.Add(time.Minute), nil),
		event("e6", profile.Updated, "u-1", t0.Add(time.Minute), person("u-1", "Ann")),
		event("e7", profile.Updated, "u-1", t0.Add(-time.Hour), person("u-1", "Old")),
		consent("e8", "u-9"),
	)))
	wantCounts(t, docs["salesforce"], map[string]float64{"Received": 4, "Delivered": 0, "Deleted": 1, "Skipped": 3, "Retried": 0, "DeadLettered": 0})
	for _, reason := range []string{"skipped_unchanged", "skipped_stale", "skipped_not_subscribed"} {
		wantCounts(t, docs["salesforce/"+reason], map[string]float64{"Skipped": 1})
	}
	if lat := docs["salesforce"].Metrics["EventToDeliveryLatency"]; !slices.Equal(lat, []float64{30000}) {
		t.Errorf("latency %v, want [30000] (the delete)", lat)
	}
	if len(docs) != 4 {
		t.Errorf("lines %v", keys(docs))
	}
}

func keys(m map[string]emfDoc) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// failingJournal fails every batch after keeping it.
type failingJournal struct{ n int }

func (f *failingJournal) Record(context.Context, []delivery.Entry) error {
	f.n++
	return errors.New("sync log table unavailable")
}

// Both journals hear every batch, whichever fails; the handler logs the
// failure and the deliveries stand.
func TestJournalsFanOut(t *testing.T) {
	other := &failingJournal{}
	r := newRig(t, other)
	docs := r.handle(t, batch(t, event("e1", profile.Created, "u-1", t0, person("u-1", "Ann"))))
	if other.n != 1 || len(docs) != 1 {
		t.Fatalf("other journal heard %d batches, metrics wrote %d lines", other.n, len(docs))
	}
	if !bytes.Contains(r.logs.Bytes(), []byte("sync log table unavailable")) {
		t.Errorf("the failing journal's error was not logged: %s", r.logs.String())
	}
	if len(r.fake.Records("Contact")) != 1 {
		t.Error("the delivery did not stand")
	}
	if metrics.Join() != nil || metrics.Join(nil, other) != other {
		t.Error("Join of none is nil; of one, that one")
	}
}

// A full SQS batch's metrics: what each sync invocation adds.
func BenchmarkJournalBatchOf10(b *testing.B) {
	outs := []delivery.Outcome{delivery.Delivered, delivery.Delivered, delivery.Unchanged, delivery.Stale, delivery.Retrying,
		delivery.Delivered, delivery.Deleted, delivery.Abandon, delivery.NotRouted, delivery.Delivered}
	es := make([]delivery.Entry, len(outs))
	for i, o := range outs {
		es[i] = delivery.Entry{Target: "salesforce", Outcome: o, Class: "transient", EventAt: t0, At: t0.Add(time.Duration(i) * time.Second)}
	}
	j := metrics.Journal{Emitter: metrics.NewEmitter(io.Discard)}
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Record(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
}

// The outcomes a real batch rarely shows: opt-outs and scope exits count
// as deliveries, a dead-letter's class is read from its reason when the
// entry has none, reconciliation's repairs carry no latency, and an
// undecodable message (no target event) still counts as received.
func TestTargetSetsEdgeCases(t *testing.T) {
	es := []delivery.Entry{
		{Target: "crm", Outcome: delivery.OptedOut, EventAt: t0, At: t0.Add(time.Second)},
		{Target: "crm", Outcome: delivery.OutOfScope, EventAt: t0, At: t0.Add(2 * time.Second)},
		{Target: "crm", Outcome: delivery.Delivered, SourceType: profile.SourceTypeReconcile, EventAt: t0.Add(-72 * time.Hour), At: t0},
		{Target: "crm", Outcome: delivery.Delivered, EventAt: t0.Add(time.Minute), At: t0}, // a sender clock ahead: 0, not negative
		{Target: "crm", Outcome: delivery.Abandon, Reason: delivery.CauseBudget + ": throttled (status 429) RATE: slow down after 9 attempt(s)"},
		{Target: "crm", Outcome: delivery.Abandon, Reason: "garbage"},
		{Target: "crm", Outcome: delivery.Abandon, Reason: delivery.CausePermanent + ": permanent after 1 attempt(s)"},
		{Target: "other", Outcome: delivery.Ignored},
	}
	var buf bytes.Buffer
	if err := emitter(&buf).Emit(metrics.TargetSets(es)...); err != nil {
		t.Fatal(err)
	}
	docs := byDims(t, parseEMF(t, buf.Bytes()))
	wantCounts(t, docs["crm"], map[string]float64{"Received": 7, "Delivered": 4, "DeadLettered": 3, "Skipped": 0})
	if lat := slices.Sorted(slices.Values(docs["crm"].Metrics["EventToDeliveryLatency"])); !slices.Equal(lat, []float64{0, 1000, 2000}) {
		t.Errorf("latency %v, want [0 1000 2000]", lat)
	}
	wantCounts(t, docs["crm/throttled"], map[string]float64{"DeadLettered": 1})
	wantCounts(t, docs["crm/unknown"], map[string]float64{"DeadLettered": 1})
	wantCounts(t, docs["crm/permanent"], map[string]float64{"DeadLettered": 1})
	wantCounts(t, docs["other/skipped_by_policy"], map[string]float64{"Skipped": 1})
	if len(docs) != 6 {
		t.Errorf("lines %v", keys(docs))
	}
}

// ErasureFailed counts the deletes abandoned to the dead-letter queue, and
// nothing else: not an abandoned create, not a delete still retrying.
func TestErasureFailed(t *testing.T) {
	del := string(profile.Deleted)
	es := []delivery.Entry{
		{Target: "crm", Subject: "u-1", EventType: del, Outcome: delivery.Abandon, Reason: delivery.CausePermanent + ": permanent after 1 attempt(s)"},
		{Target: "crm", Subject: "u-2", EventType: del, Outcome: delivery.Retrying, Reason: "transient"},
		{Target: "crm", Subject: "u-3", EventType: string(profile.Created), Outcome: delivery.Abandon, Reason: delivery.CausePermanent + ": permanent after 1 attempt(s)"},
		{Target: "crm", Subject: "u-4", EventType: del, Outcome: delivery.Deleted},
		{Target: "erp", Subject: "u-1", EventType: del, Outcome: delivery.Deleted},
	}
	var buf bytes.Buffer
	if err := emitter(&buf).Emit(metrics.TargetSets(es)...); err != nil {
		t.Fatal(err)
	}
	docs := byDims(t, parseEMF(t, buf.Bytes()))
	wantCounts(t, docs["crm"], map[string]float64{"ErasureFailed": 1, "DeadLettered": 2, "Deleted": 1})
	wantCounts(t, docs["erp"], map[string]float64{"ErasureFailed": 0, "Deleted": 1})
}
