package ldap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/fault"
)

// There is no Active Directory to run here, so the AD flavor's request
// sequences are checked against recordingDir: a fake of the go-ldap
// connection that keeps entries by DN, answers equality-filter searches,
// logs every request, and fails the requests a test queues errors for.
// The openldap flavor and everything shared run against real slapd.
type recordingDir struct {
	ops     *[]string
	entries map[string]map[string][]string // dn → attribute → values
	fail    map[string][]error             // op name → errors to return, in order
	closed  bool
}

func (d *recordingDir) log(op string) error {
	*d.ops = append(*d.ops, op)
	name, _, _ := strings.Cut(op, " ")
	if errs := d.fail[name]; len(errs) > 0 {
		d.fail[name] = errs[1:]
		return errs[0]
	}
	return nil
}

func (d *recordingDir) Bind(dn, _ string) error  { return d.log("bind " + dn) }
func (d *recordingDir) SetTimeout(time.Duration) {}
func (d *recordingDir) IsClosing() bool          { return d.closed }
func (d *recordingDir) Close() error             { d.closed = true; return nil }

func (d *recordingDir) Add(r *ldap.AddRequest) error {
	attrs := map[string][]string{}
	var parts []string
	for _, a := range r.Attributes {
		attrs[a.Type] = a.Vals
		if a.Type != "objectClass" {
			parts = append(parts, a.Type+"="+strings.Join(a.Vals, "|"))
		}
	}
	if err := d.log("add " + r.DN + " " + strings.Join(parts, " ")); err != nil {
		return err
	}
	if _, ok := d.entries[r.DN]; ok {
		return ldap.NewError(ldap.LDAPResultEntryAlreadyExists, errors.New("00000524: UpdErr: DSID-031A11E2, problem 6005 (ENTRY_EXISTS)"))
	}
	d.entries[r.DN] = attrs
	return nil
}

func (d *recordingDir) Modify(r *ldap.ModifyRequest) error {
	var parts []string
	for _, ch := range r.Changes {
		v := strings.Join(ch.Modification.Vals, "|")
		if ch.Modification.Type == "unicodePwd" {
			v = "<password>"
		}
		parts = append(parts, fmt.Sprintf("%s:%s=%s", [...]string{"add", "delete", "replace"}[ch.Operation], ch.Modification.Type, v))
	}
	if err := d.log("modify " + r.DN + " " + strings.Join(parts, " ")); err != nil {
		return err
	}
	e, ok := d.entries[r.DN]
	if !ok {
		return ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT)"))
	}
	for _, ch := range r.Changes {
		e[ch.Modification.Type] = ch.Modification.Vals
	}
	return nil
}

func (d *recordingDir) Del(r *ldap.DelRequest) error {
	if err := d.log("delete " + r.DN); err != nil {
		return err
	}
	delete(d.entries, r.DN)
	return nil
}

func (d *recordingDir) Search(r *ldap.SearchRequest) (*ldap.SearchResult, error) {
	if err := d.log("search " + r.Filter); err != nil {
		return nil, err
	}
	res := &ldap.SearchResult{}
	for dn, attrs := range d.entries {
		for name, vals := range attrs {
			if slices.ContainsFunc(vals, func(v string) bool { return r.Filter == "("+name+"="+ldap.EscapeFilter(v)+")" }) {
				e := &ldap.Entry{DN: dn}
				for _, want := range r.Attributes {
					if v, ok := attrs[want]; ok {
						e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: want, Values: v})
					}
				}
				res.Entries = append(res.Entries, e)
			}
		}
	}
	return res, nil
}

// newADClient returns an AD-flavored client whose every dial opens a
// recordingDir over the same entries and log.
func newADClient(t *testing.T, initialPassword string) (*Client, *[]string, map[string]map[string][]string, map[string][]error) {
	t.Helper()
	s, err := DecodeSettings(map[string]any{
		"flavor": "ad", "dn_template": "CN={key},OU=People,DC=corp,DC=example", "id_attribute": "employeeID",
		"initial_password": initialPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New("ad-test", s, Credentials{URL: "ldaps://dc1.corp.example", BindDN: "CN=svc,DC=corp,DC=example", BindPassword: "pw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := &[]string{}
	entries := map[string]map[string][]string{}
	fail := map[string][]error{}
	c.dial = func(context.Context) (directory, error) {
		*ops = append(*ops, "dial")
		return &recordingDir{ops: ops, entries: entries, fail: fail}, nil
	}
	return c, ops, entries, fail
}

const adDN = "CN=u-1,OU=People,DC=corp,DC=example"

func wantOps(t *testing.T, ops *[]string, want ...string) {
	t.Helper()
	if !slices.Equal(*ops, want) {
		t.Fatalf("requests:\n  %s\nwant:\n  %s", strings.Join(*ops, "\n  "), strings.Join(want, "\n  "))
	}
	*ops = (*ops)[:0]
}

func TestADCreateDisabledThenEnable(t *testing.T) {
	for _, pw := range []string{"random", "none"} {
		t.Run(pw, func(t *testing.T) {
			c, ops, entries, _ := newADClient(t, pw)
			res, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"sn": "Doe", "userAccountControl": 0}))
			if err != nil || !res.Created || res.ID != adDN {
				t.Fatalf("create = %+v, %v", res, err)
			}
			want := []string{"dial", "bind CN=svc,DC=corp,DC=example", "search (employeeID=u-1)",
				"add " + adDN + " employeeID=u-1 CN=u-1 sn=Doe userAccountControl=514"}
			if pw == "random" {
				want = append(want, "modify "+adDN+" replace:unicodePwd=<password>")
			}
			wantOps(t, ops, append(want, "modify "+adDN+" replace:userAccountControl=512")...)
			if pw == "random" {
				if p := entries[adDN]["unicodePwd"][0]; len(p) < 60 || p[0] != '"' || p[1] != 0 || p[len(p)-2] != '"' {
					t.Fatalf("unicodePwd is not a quoted UTF-16LE password: %q", p)
				}
			}
		})
	}
}

func TestADUpdateDeactivateAndDelete(t *testing.T) {
	c, ops, entries, _ := newADClient(t, "none")
	ctx := context.Background()
	entries[adDN] = map[string][]string{"employeeID": {"u-1"}, "sn": {"Doe"}, "mail": {"old@corp.example"},
		"userAccountControl": {"66048"}} // 512 | DONT_EXPIRE_PASSWORD
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"sn": "Doe", "mail": "new@corp.example"})); err != nil {
		t.Fatal(err)
	}
	wantOps(t, ops, "dial", "bind CN=svc,DC=corp,DC=example", "search (employeeID=u-1)",
		"modify "+adDN+" replace:mail=new@corp.example")
	for range 2 { // the second finds it disabled already
		if err := c.Deactivate(ctx, rec("u-1", nil)); err != nil {
			t.Fatal(err)
		}
	}
	wantOps(t, ops, "search (employeeID=u-1)", "modify "+adDN+" replace:userAccountControl=66050",
		"search (employeeID=u-1)")
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"sn": "Doe"})); err != nil {
		t.Fatal(err)
	}
	wantOps(t, ops, "search (employeeID=u-1)", "modify "+adDN+" replace:userAccountControl=66048")
	for range 2 {
		if err := c.Delete(ctx, rec("u-1", nil)); err != nil {
			t.Fatal(err)
		}
	}
	wantOps(t, ops, "search (employeeID=u-1)", "delete "+adDN, "search (employeeID=u-1)")
}

// A modify that meets 32 noSuchObject falls back to an add; here the add
// then meets 68 (the fake still holds the entry), which falls back to a
// modify that also writes the id attribute: both fallbacks in one upsert.
func TestADModifyNoSuchObjectThenAddAlreadyExists(t *testing.T) {
	c, ops, entries, fail := newADClient(t, "none")
	entries[adDN] = map[string][]string{"employeeID": {"u-1"}, "sn": {"Doe"}, "userAccountControl": {"512"}}
	fail["modify"] = []error{ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("0000208D: NameErr"))}
	res, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"sn": "Roe"}))
	if err != nil || res.Created || res.ID != adDN {
		t.Fatalf("upsert = %+v, %v", res, err)
	}
	wantOps(t, ops, "dial", "bind CN=svc,DC=corp,DC=example", "search (employeeID=u-1)",
		"modify "+adDN+" replace:sn=Roe",
		"add "+adDN+" employeeID=u-1 CN=u-1 sn=Roe userAccountControl=514",
		"modify "+adDN+" replace:sn=Roe replace:employeeID=u-1")
}

func TestReconnectOnceOnDroppedConnection(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"network", ldap.NewError(ldap.ErrorNetwork, errors.New("ldap: connection closed"))},
		{"52 unavailable", ldap.NewError(ldap.LDAPResultUnavailable, errors.New("shutting down"))},
		{"49 after a lapsed bind", ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("80090308: LdapErr"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ops, _, fail := newADClient(t, "none")
			fail["search"] = []error{tt.err}
			if err := c.Delete(context.Background(), rec("u-1", nil)); err != nil {
				t.Fatalf("delete after one drop: %v", err)
			}
			wantOps(t, ops, "dial", "bind CN=svc,DC=corp,DC=example", "search (employeeID=u-1)",
				"dial", "bind CN=svc,DC=corp,DC=example", "search (employeeID=u-1)")
			fail["search"] = []error{tt.err, tt.err}
			if err := c.Delete(context.Background(), rec("u-1", nil)); fault.ClassOf(err) == fault.Permanent {
				t.Fatalf("two drops in a row = %v, want a retryable error", err)
			}
		})
	}
}

func TestBindRefusedIsAuthAndNotRetried(t *testing.T) {
	c, ops, _, fail := newADClient(t, "none")
	fail["bind"] = []error{ldap.NewError(ldap.LDAPResultInvalidCredentials,
		errors.New("80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563"))}
	err := c.Delete(context.Background(), rec("u-1", nil))
	if fe := fault.As(err); fe.Class != fault.Auth || fe.Status != 49 || !strings.Contains(fe.Message, "data 52e") {
		t.Fatalf("err = %+v", fe)
	}
	wantOps(t, ops, "dial", "bind CN=svc,DC=corp,DC=example")
}

func TestADRandomPasswordNeedsTLS(t *testing.T) {
	s, err := DecodeSettings(map[string]any{"flavor": "ad", "dn_template": "CN={key},DC=corp,DC=example"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New("ad", s, Credentials{URL: "ldap://dc1:389", BindDN: "CN=svc,DC=corp", BindPassword: "pw", Insecure: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("New over plain ldap = %v, want a TLS error", err)
	}
	if _, err := New("ad", s, Credentials{URL: "ldap://dc1:389", BindDN: "CN=svc,DC=corp", BindPassword: "pw", StartTLS: true}, nil); err != nil {
		t.Fatal(err)
	}
}
