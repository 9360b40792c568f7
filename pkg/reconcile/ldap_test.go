package reconcile

import (
	"context"
	"io"
	"log/slog"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/slapd"
	"github.com/profilesync/profilesync/pkg/connector/ldap"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

const ldapMapping = `version: 1
connector: ldap
settings: {dn_template: "uid={key},ou=people,dc=example,dc=test"}
events: [created, updated, deleted]
key: sub
fields:
  cn: email
  givenName: given_name
  sn: family_name
  mail: {from: email, transform: [trim, lower]}
# LDAP keeps every value as text: a number must not show as drift.
constants: {employeeNumber: 42}
on_delete: delete
`

// The drift against a real slapd, read with paged searches: planned,
// applied through the sync handler, and planned again empty.
func TestDriftLDAP(t *testing.T) {
	srv := slapd.Start(t)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return ldap.CheckSettings(s) }}.
		Parse("ldap.yaml", []byte(ldapMapping))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ldap.DecodeSettings(map[string]any{"dn_template": "uid={key}," + slapd.PeopleDN})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ldap.New("ldap", s, ldap.Credentials{URL: srv.URL(), BindDN: slapd.AdminDN, BindPassword: slapd.AdminPassword,
		StartTLS: true, CACertPEM: srv.CACertPEM()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	entry := func(rdn string, attrs map[string]string) {
		srv.Admin(t, func(conn *goldap.Conn) error {
			add := goldap.NewAddRequest(rdn+","+slapd.PeopleDN, nil)
			add.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "inetOrgPerson"})
			for k, v := range attrs {
				add.Attribute(k, []string{v})
			}
			return conn.Add(add)
		})
	}
	person4 := func(sub, given, family, email string) map[string]string {
		return map[string]string{"uid": sub, "cn": email, "givenName": given, "sn": family, "mail": email, "employeeNumber": "42"}
	}
	entry("uid=sub-1", person4("sub-1", "Ada", "Lovelace", "ada@example.com"))
	entry("uid=sub-2", person4("sub-2", "Grace", "Hopper-Old", "grace@example.com"))
	entry("uid=sub-4", person4("sub-4", "Gone", "Away", "gone@example.com"))
	entry("cn=Walk In", map[string]string{"cn": "Walk In", "sn": "In", "mail": "walkin@example.com"})
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
		if ch.Action == Update && (ch.Key != "sub-2" || len(ch.Fields) != 1 || ch.Fields[0] != (FieldDiff{"sn", "Hopper-Old", "Hopper"})) {
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
