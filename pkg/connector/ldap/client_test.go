package ldap

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/slapd"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// newSlapdClient returns a client of srv bound as its admin over StartTLS,
// with the openldap settings m (a dn_template under ou=people by default),
// and a counter of its dials.
func newSlapdClient(t *testing.T, srv *slapd.Server, m map[string]any, password string) (*Client, *atomic.Int32) {
	t.Helper()
	return newSlapdClientWith(t, srv, m, Credentials{URL: srv.URL(), BindDN: slapd.AdminDN, BindPassword: password,
		StartTLS: true, CACertPEM: srv.CACertPEM()})
}

func newSlapdClientWith(t *testing.T, srv *slapd.Server, m map[string]any, creds Credentials) (*Client, *atomic.Int32) {
	t.Helper()
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := m["dn_template"]; !ok {
		m["dn_template"] = "uid={key}," + slapd.PeopleDN
	}
	s, err := DecodeSettings(m)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New("ldap-test", s, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	real := c.dial
	c.dial = func(ctx context.Context) (directory, error) {
		dials.Add(1)
		return real(ctx)
	}
	t.Cleanup(func() { c.Close() })
	return c, &dials
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

// lookup reads the entry at dn as the admin; nil when there is none.
func lookup(t *testing.T, srv *slapd.Server, dn string) *ldap.Entry {
	t.Helper()
	var e *ldap.Entry
	srv.Admin(t, func(c *ldap.Conn) error {
		res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			0, 0, false, "(objectClass=*)", []string{"*"}, nil))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return nil
		}
		if err == nil && len(res.Entries) == 1 {
			e = res.Entries[0]
		}
		return err
	})
	return e
}

func TestUpsertCreatesUpdatesAndDeletes(t *testing.T) {
	srv := slapd.Start(t)
	c, dials := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	ctx := context.Background()
	dn := "uid=u-1," + slapd.PeopleDN

	res, err := c.Upsert(ctx, rec("u-1", map[string]any{
		"cn": "Jane Doe", "sn": "Doe", "mail": []any{"jane@example.test", "j.doe@example.test"},
		"telephoneNumber": "+49 30 1234", "employeeNumber": float64(42), "uid": "ignored: the key wins",
	}))
	if err != nil || !res.Created || res.ID != dn {
		t.Fatalf("create = %+v, %v", res, err)
	}
	e := lookup(t, srv, dn)
	if e == nil || e.GetAttributeValue("uid") != "u-1" || len(e.GetAttributeValues("mail")) != 2 ||
		e.GetAttributeValue("employeeNumber") != "42" {
		t.Fatalf("created entry = %+v", e)
	}

	res, err = c.Upsert(ctx, rec("u-1", map[string]any{
		"cn": "Jane Doe", "sn": "Roe", "mail": []any{"jane@example.test"}, "telephoneNumber": nil, "employeeNumber": "",
	}))
	if err != nil || res.Created || res.ID != dn {
		t.Fatalf("update = %+v, %v", res, err)
	}
	e = lookup(t, srv, dn)
	if e.GetAttributeValue("sn") != "Roe" || len(e.GetAttributeValues("mail")) != 1 ||
		e.GetAttributeValue("telephoneNumber") != "" || e.GetAttributeValue("employeeNumber") != "" {
		t.Fatalf("updated entry = %v", e.Attributes)
	}
	// An unchanged record (and a removal of what is already gone) writes nothing.
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"sn": "Roe", "telephoneNumber": ""})); err != nil {
		t.Fatalf("unchanged upsert: %v", err)
	}

	for i := range 2 { // the second meets no entry: still success
		if err := c.Delete(ctx, rec("u-1", nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if lookup(t, srv, dn) != nil {
		t.Fatal("entry still there after delete")
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials, want one reused connection", n)
	}
}

func TestDeactivateAndReenableOpenLDAP(t *testing.T) {
	srv := slapd.Start(t)
	c, _ := newSlapdClient(t, srv, map[string]any{"disable_attribute": "employeeType", "disable_value": "disabled"}, slapd.AdminPassword)
	ctx := context.Background()
	dn := "uid=u-2," + slapd.PeopleDN
	if err := c.Deactivate(ctx, rec("u-2", nil)); err != nil {
		t.Fatalf("deactivate of a missing entry: %v", err)
	}
	if _, err := c.Upsert(ctx, rec("u-2", map[string]any{"cn": "A", "sn": "B"})); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Deactivate(ctx, rec("u-2", nil)); err != nil {
			t.Fatalf("deactivate #%d: %v", i+1, err)
		}
	}
	if got := lookup(t, srv, dn).GetAttributeValues("employeeType"); len(got) != 1 || got[0] != "disabled" {
		t.Fatalf("employeeType after deactivate = %v", got)
	}
	if _, err := c.Upsert(ctx, rec("u-2", map[string]any{"cn": "A", "sn": "B"})); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, srv, dn).GetAttributeValues("employeeType"); len(got) != 0 {
		t.Fatalf("employeeType after a new upsert = %v, want the account enabled", got)
	}
}

func TestDirectoryErrorsAreClassified(t *testing.T) {
	srv := slapd.Start(t)
	ctx := context.Background()
	good, _ := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	if _, err := good.Upsert(ctx, rec("u-3", map[string]any{"cn": "A", "sn": "B"})); err != nil {
		t.Fatal(err)
	}
	// The default disable attribute needs the ppolicy overlay, which this
	// slapd does not load: the schema refuses it.
	deflt, _ := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	tests := []struct {
		name   string
		call   func() error
		class  fault.Class
		status int
	}{
		{"bad credentials", func() error {
			bad, _ := newSlapdClient(t, srv, nil, "wrong")
			_, err := bad.Upsert(ctx, rec("u-3", map[string]any{"cn": "A", "sn": "B"}))
			return err
		}, fault.Auth, ldap.LDAPResultInvalidCredentials},
		{"undefined attribute on add", func() error {
			_, err := good.Upsert(ctx, rec("u-4", map[string]any{"cn": "A", "sn": "B", "favouriteColour": "teal-blue"}))
			return err
		}, fault.Permanent, ldap.LDAPResultUndefinedAttributeType},
		{"undefined attribute on modify", func() error {
			_, err := good.Upsert(ctx, rec("u-3", map[string]any{"favouriteColour": "teal-blue"}))
			return err
		}, fault.Permanent, ldap.LDAPResultUndefinedAttributeType},
		{"missing required sn", func() error {
			_, err := good.Upsert(ctx, rec("u-5", map[string]any{"cn": "A"}))
			return err
		}, fault.Permanent, ldap.LDAPResultObjectClassViolation},
		{"invalid syntax", func() error {
			_, err := good.Upsert(ctx, rec("u-3", map[string]any{"telephoneNumber": "not a phone number!"}))
			return err
		}, fault.Permanent, ldap.LDAPResultInvalidAttributeSyntax},
		{"default disable attribute without ppolicy", func() error {
			return deflt.Deactivate(ctx, rec("u-3", nil))
		}, fault.Permanent, ldap.LDAPResultUndefinedAttributeType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			fe := fault.As(err)
			if fe.Class != tt.class || fe.Status != tt.status {
				t.Fatalf("err = %v, want %v with result code %d", err, tt.class, tt.status)
			}
			for _, v := range []string{"teal-blue", "not a phone number!", "wrong"} {
				if strings.Contains(err.Error(), v) {
					t.Fatalf("error %q quotes a value we sent", err)
				}
			}
		})
	}
}

func TestKeysNeedingEscapes(t *testing.T) {
	srv := slapd.Start(t)
	c, _ := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	ctx := context.Background()
	keys := []string{`Doe, Jane+1 <x>;"q"`, `#lead`, `trail `, `a*b(c)\d`, `ü=ö`}
	for _, key := range keys {
		res, err := c.Upsert(ctx, rec(key, map[string]any{"cn": "A", "sn": "B"}))
		if err != nil || !res.Created {
			t.Fatalf("create %q = %+v, %v", key, res, err)
		}
		e := lookup(t, srv, res.ID)
		if e == nil || e.GetAttributeValue("uid") != key {
			t.Fatalf("entry for %q at %s = %v", key, res.ID, e)
		}
		// The filter escapes the key too: the second upsert finds the entry.
		if res, err := c.Upsert(ctx, rec(key, map[string]any{"sn": "C"})); err != nil || res.Created {
			t.Fatalf("update %q = %+v, %v", key, res, err)
		}
		if err := c.Delete(ctx, rec(key, nil)); err != nil || lookup(t, srv, res.ID) != nil {
			t.Fatalf("delete %q = %v", key, err)
		}
	}
}

func TestTakesOverAnEntryWithoutTheIDAttribute(t *testing.T) {
	srv := slapd.Start(t)
	c, _ := newSlapdClient(t, srv, map[string]any{"id_attribute": "employeeNumber"}, slapd.AdminPassword)
	dn := "uid=u-6," + slapd.PeopleDN
	srv.Admin(t, func(conn *ldap.Conn) error {
		add := ldap.NewAddRequest(dn, nil)
		add.Attribute("objectClass", []string{"inetOrgPerson"})
		add.Attribute("cn", []string{"Hand Made"})
		add.Attribute("sn", []string{"Made"})
		add.Attribute("uid", []string{"u-6"})
		return conn.Add(add)
	})
	res, err := c.Upsert(context.Background(), rec("u-6", map[string]any{"cn": "Hand Made", "sn": "Synced"}))
	if err != nil || res.Created || res.ID != dn {
		t.Fatalf("upsert over an existing DN = %+v, %v", res, err)
	}
	if e := lookup(t, srv, dn); e.GetAttributeValue("employeeNumber") != "u-6" || e.GetAttributeValue("sn") != "Synced" {
		t.Fatalf("entry = %v", e.Attributes)
	}
}

func TestReconnectsAfterServerRestart(t *testing.T) {
	srv := slapd.Start(t)
	c, dials := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-7", map[string]any{"cn": "A", "sn": "B"})); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	if _, err := c.Upsert(ctx, rec("u-7", map[string]any{"sn": "After"})); err != nil {
		t.Fatalf("upsert after restart: %v", err)
	}
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d dials, want 2 (one reconnect)", n)
	}
	srv.Stop()
	err := c.Delete(ctx, rec("u-7", nil))
	if fe := fault.As(err); fe.Class != fault.Transient {
		t.Fatalf("call to a stopped server = %v, want transient", err)
	}
	srv.Restart(t)
	if err := c.Delete(ctx, rec("u-7", nil)); err != nil {
		t.Fatalf("delete once the server is back: %v", err)
	}
}
