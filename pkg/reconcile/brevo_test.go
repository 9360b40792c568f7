package reconcile

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/brevo"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	brsandbox "github.com/profilesync/profilesync/pkg/sandbox/brevo"
)

const brevoMapping = `version: 1
connector: brevo
settings: {identifier: ext_id, list_ids: [7]}
events: [created, updated, deleted]
key: sub
fields:
  email: {from: email, transform: [trim, lower]}
  firstname: given_name
  lastname: family_name
  subscribed: consents.newsletter.granted
on_delete: delete
`

// Drift in a Brevo account keyed on ext_id, read page by page: a missing
// contact, a stale attribute, an orphan with an ext_id and a contact
// without one (unmanaged). Planned, applied through the sync handler, and
// planned again empty.
func TestDriftBrevo(t *testing.T) {
	const apiKey = "xkeysib-test"
	fake := brsandbox.NewFake(apiKey)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return brevo.CheckSettings(s) }}.Parse("brevo.yaml", []byte(brevoMapping))
	if err != nil {
		t.Fatal(err)
	}
	hc := egress.Client(egress.Local, 5*time.Second)
	creds := brevo.Credentials{APIKey: apiKey, BaseURL: srv.URL}
	c, err := brevo.New("brevo", brevo.Settings{Identifier: brevo.ByExtID, ListIDs: []int64{7}, OptOut: brevo.OptOutUnlinkLists}, creds, hc)
	if err != nil {
		t.Fatal(err)
	}
	walkIn, err := brevo.New("walk-in", brevo.Settings{Identifier: brevo.ByEmail, OptOut: brevo.OptOutBlocklist}, creds, hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seed := func(cl *brevo.Client, key, email, given, family string, news bool) {
		t.Helper()
		f := map[string]any{"email": email, "firstname": given, "lastname": family, "subscribed": news}
		if _, err := cl.Upsert(ctx, connector.Record{Key: key, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	seed(c, "sub-1", "ada@example.com", "Ada", "Lovelace", true)
	seed(c, "sub-2", "grace@example.com", "Grace", "Hopper-Old", true)
	seed(c, "sub-4", "gone@example.com", "Gone", "Away", false)
	seed(walkIn, "walkin@example.com", "walkin@example.com", "Walk", "In", false)
	src := &ciam{list: []*profile.Profile{
		person("sub-1", "Ada", "Lovelace", "ada@example.com", true),
		person("sub-2", "Grace", "Hopper", "grace@example.com", true),
		person("sub-3", "Alan", "Turing", "alan@example.com", true),
	}}
	q := &queue{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(apply bool) *Plan {
		t.Helper()
		r, read, err := c.Reader(m.Base().TargetPaths())
		if err != nil {
			t.Fatal(err)
		}
		rc := &Reconciler{Target: "salesforce", Source: "cidaas", Mapping: m, Lister: src, Reader: r, Paths: read,
			Threshold: Threshold{MaxCount: 10, MaxPercent: 50}, PageSize: 2, Log: quiet}
		if apply {
			rc.Queue = q
		}
		p, err := rc.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := run(false)
	if c := p.Counts; c.Create != 1 || c.Update != 1 || c.Delete != 1 || c.Unmanaged != 1 || c.Unchanged != 1 {
		t.Fatalf("counts = %+v", c)
	}
	for _, ch := range p.Changes {
		if ch.Action == Update && (ch.Key != "sub-2" || len(ch.Fields) != 1 || ch.Fields[0] != (FieldDiff{"lastname", "Hopper-Old", "Hopper"})) {
			t.Errorf("update = %+v", ch)
		}
	}
	if p = run(true); p.Applied != 3 {
		t.Fatalf("applied %d", p.Applied)
	}
	st := &stand{q: q, handler: &delivery.Handler{Target: "salesforce", Mapping: m, Connector: c, State: &delivery.MemoryState{}, Log: quiet}}
	st.deliver(t)
	if p = run(false); !p.Empty() || p.Counts.Unmanaged != 1 || p.Counts.Unchanged != 3 {
		t.Fatalf("after apply: %+v", p.Counts)
	}
	if n := len(fake.Records()); n != 4 {
		t.Errorf("%d contacts after apply, want 4 (three managed, the walk-in)", n)
	}
}
