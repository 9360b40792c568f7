package reconcile

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

const ext = "ProfileSync_Id__c"

const sfMapping = `version: 1
connector: salesforce
settings: {object: Contact, external_id_field: ProfileSync_Id__c}
events: [created, updated, deleted]
key: sub
fields:
  FirstName: given_name
  LastName: family_name
  Email: {from: email, transform: [trim, lower]}
  Newsletter_Consent__c: consents.newsletter.granted
constants:
  LeadSource: ProfileSync
on_delete: delete
`

// ciam is an in-memory CIAM that pages its profiles.
type ciam struct {
	mu   sync.Mutex
	list []*profile.Profile
}

func (c *ciam) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	off, _ := strconv.Atoi(cursor)
	end := min(off+size, len(c.list))
	next := ""
	if end < len(c.list) {
		next = strconv.Itoa(end)
	}
	return append([]*profile.Profile(nil), c.list[off:end]...), next, nil
}

// queue keeps what a run enqueued.
type queue struct {
	mu   sync.Mutex
	msgs []ingress.Message
}

func (q *queue) SendBatch(_ context.Context, target string, msgs []ingress.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if target != "salesforce" {
		return fmt.Errorf("unexpected target %q", target)
	}
	if len(msgs) > batchSize {
		return fmt.Errorf("batch of %d", len(msgs))
	}
	q.msgs = append(q.msgs, msgs...)
	return nil
}

func (q *queue) take() []ingress.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

type stand struct {
	fake    *sfsandbox.Fake
	client  *salesforce.Client
	m       *mapping.Mapping
	src     *ciam
	q       *queue
	handler *delivery.Handler
}

func newStand(t *testing.T) *stand {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetSchema("Contact", "FirstName", "LastName", "Email", "Newsletter_Consent__c", "LeadSource", ext)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return salesforce.CheckSettings(s) }}.
		Parse("salesforce.yaml", []byte(sfMapping))
	if err != nil {
		t.Fatal(err)
	}
	c, err := salesforce.New("salesforce", salesforce.Settings{Object: "Contact", ExternalIDField: ext, APIVersion: salesforce.DefaultAPIVersion},
		salesforce.Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &stand{fake: fake, client: c, m: m, src: &ciam{}, q: &queue{},
		handler: &delivery.Handler{Target: "salesforce", Mapping: m, Connector: c, State: &delivery.MemoryState{}, Log: quiet}}
}

func (s *stand) reconciler(t *testing.T, apply bool, th Threshold) *Reconciler {
	t.Helper()
	r, read, err := s.client.Reader(s.m.Base().TargetPaths())
	if err != nil {
		t.Fatal(err)
	}
	rc := &Reconciler{Target: "salesforce", Source: "cidaas", Mapping: s.m, Lister: s.src, Reader: r, Paths: read,
		Threshold: th, PageSize: 3, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if apply {
		rc.Queue = s.q
	}
	return rc
}

// deliver runs the salesforce sync handler over what the runs enqueued.
func (s *stand) deliver(t *testing.T) {
	t.Helper()
	msgs := s.q.take()
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, Body: string(m.Body),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	resp, err := s.handler.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("sync handler: %v, failures %v", err, resp.BatchItemFailures)
	}
}

func person(sub, given, family, email string, news bool) *profile.Profile {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return &profile.Profile{Sub: sub, GivenName: given, FamilyName: family, Email: email, UpdatedAt: &at,
		Consents: map[string]profile.Consent{"newsletter": {Granted: news}}}
}

func contact(sub, given, family, email string, news bool) map[string]any {
	return map[string]any{ext: sub, "FirstName": given, "LastName": family, "Email": email,
		"Newsletter_Consent__c": news, "LeadSource": "ProfileSync"}
}

func TestDriftPlannedAppliedThenEmpty(t *testing.T) {
	s := newStand(t)
	ctx := context.Background()
	s.src.list = []*profile.Profile{
		person("sub-1", "Ada", "Lovelace", "ada@example.com", true),
		person("sub-2", "Grace", "Hopper", "grace@example.com", false), // stale in the target
		person("sub-3", "Alan", "Turing", "alan@example.com", true),    // missing in the target
		person("sub-5", "Edsger", "Dijkstra", "ed@example.com", true),
	}
	s.fake.Put("Contact", contact("sub-1", "Ada", "Lovelace", "ada@example.com", true))
	s.fake.Put("Contact", contact("sub-2", "Grace", "Hopper-Old", "grace@example.com", false))
	s.fake.Put("Contact", contact("sub-4", "Gone", "Away", "gone@example.com", false)) // orphan
	s.fake.Put("Contact", map[string]any{"FirstName": "Walk", "LastName": "In"})       // unmanaged
	s.fake.Put("Contact", contact("sub-5", "Edsger", "Dijkstra", "ED@example.com ", true))
	s.fake.Put("Contact", contact("sub-6", "Other", "Orphan", "", false))

	p, err := s.reconciler(t, false, Threshold{MaxCount: 100, MaxPercent: 50}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts
	if c.Create != 1 || c.Update != 2 || c.Delete != 2 || c.Unmanaged != 1 || c.Managed != 5 || c.Unchanged != 1 || c.Listed != 4 {
		t.Fatalf("counts = %+v", c)
	}
	byKey := map[string]Change{}
	for _, ch := range p.Changes {
		byKey[ch.Key] = ch
	}
	if ch := byKey["sub-2"]; ch.Action != Update || len(ch.Fields) != 1 || ch.Fields[0] != (FieldDiff{Field: "LastName", Old: "Hopper-Old", New: "Hopper"}) {
		t.Errorf("sub-2 change = %+v, want LastName Hopper-Old → Hopper", ch)
	}
	if ch := byKey["sub-5"]; ch.Action != Update || len(ch.Fields) != 1 || ch.Fields[0].Field != "Email" {
		t.Errorf("sub-5 change = %+v, want the Email the mapping lower-cases and trims", ch)
	}
	if ch := byKey["sub-3"]; ch.Action != Create || len(ch.Fields) != 5 {
		t.Errorf("sub-3 change = %+v, want a create with its 5 fields", ch)
	}
	if byKey["sub-4"].Action != Delete || byKey["sub-6"].Action != Delete || byKey["sub-1"].Action != "" {
		t.Errorf("changes = %+v", p.Changes)
	}
	if len(s.q.take()) != 0 || p.Applied != 0 {
		t.Fatal("a plan without a queue enqueued")
	}

	p, err = s.reconciler(t, true, Threshold{MaxCount: 100, MaxPercent: 50}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Applied != 5 || p.Quarantined {
		t.Fatalf("applied %d (quarantined %v), want 5", p.Applied, p.Quarantined)
	}
	s.deliver(t)

	p, err = s.reconciler(t, true, Threshold{MaxCount: 100, MaxPercent: 50}).Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || p.Applied != 0 || p.Counts.Unchanged != 4 || p.Counts.Unmanaged != 1 {
		t.Fatalf("after apply the plan must be empty: %+v", p.Counts)
	}
	if n := len(s.fake.Records("Contact")); n != 5 {
		t.Fatalf("the target has %d records, want 4 managed and the unmanaged one", n)
	}
}

func TestThresholdQuarantines(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow=%v", allow), func(t *testing.T) {
			s := newStand(t)
			for i := range 10 {
				sub := fmt.Sprintf("sub-%d", i)
				s.fake.Put("Contact", contact(sub, "G", "F", sub+"@example.com", true))
				if i >= 3 { // the first three are orphans: 30 %
					s.src.list = append(s.src.list, person(sub, "G", "F", sub+"@example.com", true))
				}
			}
			s.src.list = append(s.src.list, person("sub-new", "N", "N", "new@example.com", true))
			p, err := s.reconciler(t, true, Threshold{MaxCount: 100, MaxPercent: 20, Allow: allow}).Reconcile(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if p.Counts.Delete != 3 || p.Counts.Create != 1 {
				t.Fatalf("counts = %+v", p.Counts)
			}
			msgs := s.q.take()
			if !allow {
				if !p.Quarantined || p.Applied != 0 || len(msgs) != 0 {
					t.Fatalf("quarantined %v, applied %d, %d messages: want quarantined and nothing enqueued", p.Quarantined, p.Applied, len(msgs))
				}
				if n := len(s.fake.Records("Contact")); n != 10 {
					t.Fatalf("%d records left, nothing may be deleted", n)
				}
				return
			}
			if p.Quarantined || p.Applied != 4 || len(msgs) != 4 {
				t.Fatalf("quarantined %v, applied %d: want 4 messages", p.Quarantined, p.Applied)
			}
			s.q.msgs = msgs
			s.deliver(t)
			if n := len(s.fake.Records("Contact")); n != 8 {
				t.Fatalf("%d records, want 7 kept and 1 created", n)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	th := Threshold{MaxCount: 5, MaxPercent: 20}
	for _, tt := range []struct {
		deletes, managed int64
		over             bool
	}{{0, 0, false}, {2, 10, false}, {3, 10, true}, {6, 100, true}, {5, 100, false}, {1, 0, true}} {
		if got := th.exceeded(tt.deletes, tt.managed) != ""; got != tt.over {
			t.Errorf("exceeded(%d of %d) = %v, want %v", tt.deletes, tt.managed, got, tt.over)
		}
	}
}

var _ connector.Reader = (*memReader)(nil)
