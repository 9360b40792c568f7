package reconcile

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/scim"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	scimsandbox "github.com/profilesync/profilesync/pkg/sandbox/scim"
)

const scimMapping = `version: 1
connector: scim
settings: {endpoint: /Users}
events: [created, updated, deleted]
key: sub
fields:
  userName: email
  name.givenName: given_name
  name.familyName: family_name
on_delete: delete
`

// The same drift against the sandbox SCIM server, read page by page:
// planned, applied through the sync handler, and planned again empty.
func TestDriftSCIM(t *testing.T) {
	srvFake, err := scimsandbox.New(scimsandbox.Auth{Token: "tok"}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(srvFake)
	t.Cleanup(srv.Close)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return scim.CheckSettings(s) }}.Parse("scim.yaml", []byte(scimMapping))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scim.DecodeSettings(map[string]any{"endpoint": "/Users"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := scim.New("scim", s, scim.Credentials{BaseURL: srv.URL, Token: "tok"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	user := func(ext, userName, given, family string) map[string]any {
		u := map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
			"name": map[string]any{"givenName": given, "familyName": family}}
		if ext != "" {
			u["externalId"] = ext
		}
		return u
	}
	srvFake.Seed(user("sub-1", "ada@example.com", "Ada", "Lovelace"))
	srvFake.Seed(user("sub-2", "grace@example.com", "Grace", "Hopper-Old"))
	srvFake.Seed(user("sub-4", "gone@example.com", "Gone", "Away"))
	srvFake.Seed(user("", "walkin@example.com", "Walk", "In"))
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
		if ch.Action == Update && (ch.Key != "sub-2" || len(ch.Fields) != 1 || ch.Fields[0] != (FieldDiff{"name.familyName", "Hopper-Old", "Hopper"})) {
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
}
