package reconcile

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/hubspot"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	hssandbox "github.com/profilesync/profilesync/pkg/sandbox/hubspot"
)

const hubspotMapping = `version: 1
connector: hubspot
settings: {id_property: profilesync_id, delete_mode: archive}
events: [created, updated, deleted]
key: sub
fields:
  firstname: given_name
  lastname: family_name
  email: {from: email, transform: [trim, lower]}
  newsletter: consents.newsletter.granted
# HubSpot keeps every property as text: a number must not show as drift.
constants: {lead_score: 42}
on_delete: delete
`

// The drift against the sandbox HubSpot portal, read through the contacts
// list page by page: planned, applied through the sync handler, and
// planned again empty.
func TestDriftHubSpot(t *testing.T) {
	fake := hssandbox.NewFake("pat-tok", "profilesync_id")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return hubspot.CheckSettings(s) }}.
		Parse("hubspot.yaml", []byte(hubspotMapping))
	if err != nil {
		t.Fatal(err)
	}
	c, err := hubspot.New("hubspot", hubspot.Settings{IDProperty: "profilesync_id", DeleteMode: hubspot.DeleteArchive},
		hubspot.Credentials{AccessToken: "pat-tok", BaseURL: srv.URL}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	contact := func(sub, first, last, email, news string) map[string]string {
		p := map[string]string{"firstname": first, "lastname": last, "email": email, "newsletter": news, "lead_score": "42"}
		if sub != "" {
			p["profilesync_id"] = sub
		}
		return p
	}
	fake.PutObject("contacts", contact("sub-1", "Ada", "Lovelace", "ada@example.com", "true"))
	fake.PutObject("contacts", contact("sub-2", "Grace", "Hopper-Old", "grace@example.com", "false"))
	fake.PutObject("contacts", contact("sub-4", "Gone", "Away", "gone@example.com", "true"))
	fake.PutObject("contacts", contact("", "Walk", "In", "walkin@example.com", "false"))
	src := &ciam{list: []*profile.Profile{
		person("sub-1", "Ada", "Lovelace", "ada@example.com", true),
		person("sub-2", "Grace", "Hopper", "grace@example.com", false),
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
		p, err := rc.Reconcile(context.Background())
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
		t.Errorf("%d contacts after apply, want 3 managed and the walk-in", n)
	}
}
