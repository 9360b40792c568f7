package directory

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/slapd"
	"github.com/profilesync/profilesync/pkg/claims"
)

var (
	groupsDN   = "ou=groups," + slapd.BaseDN
	partnersDN = "cn=partners," + groupsDN
	aliceDN    = "uid=alice," + slapd.PeopleDN
	managerDN  = "uid=boss," + slapd.PeopleDN
)

// seed adds people and the partners group: alice (a dealer, in the
// group), bob (a dealer, not in it), carol (an employee, in it), and two
// entries sharing the mail twin@example.test.
func seed(t *testing.T, srv *slapd.Server) {
	t.Helper()
	srv.Admin(t, func(c *ldap.Conn) error {
		add := func(dn string, attrs map[string][]string) error {
			r := ldap.NewAddRequest(dn, nil)
			for k, v := range attrs {
				r.Attribute(k, v)
			}
			return c.Add(r)
		}
		person := func(uid, mail, typ string, extra map[string][]string) error {
			attrs := map[string][]string{
				"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {uid}, "sn": {uid},
				"mail": {mail}, "employeeType": {typ},
			}
			for k, v := range extra {
				attrs[k] = v
			}
			return add("uid="+uid+","+slapd.PeopleDN, attrs)
		}
		return errors.Join(
			add(groupsDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}),
			person("boss", "boss@example.test", "employee", nil),
			person("alice", "alice@example.test", "dealer", map[string][]string{"departmentNumber": {"D-1001"}, "manager": {managerDN}, "ou": {"North", "Parts"}}),
			person("bob", "bob@example.test", "dealer", nil),
			person("carol", "carol@example.test", "employee", nil),
			person("twin1", "twin@example.test", "dealer", nil),
			person("twin2", "twin@example.test", "dealer", nil),
			add(partnersDN, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"partners"},
				"member": {aliceDN, "uid=carol," + slapd.PeopleDN, "uid=twin1," + slapd.PeopleDN}}),
		)
	})
}

func secret(t *testing.T, srv *slapd.Server, password string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"url": srv.URL(), "bind_dn": slapd.AdminDN, "bind_password": password,
		"start_tls": true, "ca_cert_pem": string(srv.CACertPEM()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func settings(over map[string]any) map[string]any {
	m := map[string]any{
		"base_dn":           slapd.PeopleDN,
		"filter":            "(&(objectClass=inetOrgPerson)(mail={email}))",
		"require_group":     partnersDN,
		"require_attribute": map[string]any{"employeeType": "dealer"},
		"attributes":        map[string]any{"department": "departmentNumber", "manager": "manager", "units": "ou", "phone": "telephoneNumber"},
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func build(t *testing.T, srv *slapd.Server, over map[string]any, password string) *Authority {
	t.Helper()
	a, err := Build("staff", settings(over), secret(t, srv, password), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func email(e string) claims.Request {
	return claims.Request{Claim: "dealer", Value: "true", Subject: "sub-1", Evidence: map[string]string{"email": e}}
}

func TestDirectory(t *testing.T) {
	srv := slapd.Start(t)
	seed(t, srv)
	ctx := context.Background()

	t.Run("match", func(t *testing.T) {
		a := build(t, srv, nil, slapd.AdminPassword)
		ans, err := a.Check(ctx, email("alice@example.test"))
		if err != nil {
			t.Fatal(err)
		}
		if ans.Verdict != claims.Verified || !strings.EqualFold(ans.Reference, aliceDN) {
			t.Fatalf("answer = %+v", ans)
		}
		units, _ := ans.Attributes["units"].([]string)
		if ans.Attributes["department"] != "D-1001" || ans.Attributes["manager"] != managerDN || len(units) != 2 || len(ans.Attributes) != 3 {
			t.Errorf("attributes = %v", ans.Attributes)
		}
	})

	t.Run("verdicts", func(t *testing.T) {
		tests := []struct {
			name   string
			over   map[string]any
			req    claims.Request
			want   claims.Verdict
			reason string
		}{
			{"no entry", nil, email("nobody@example.test"), claims.Rejected, ReasonNoEntry},
			{"not in group", nil, email("bob@example.test"), claims.Rejected, ReasonNotInGrp},
			{"attribute mismatch", nil, email("carol@example.test"), claims.Rejected, ReasonAttribute},
			{"ambiguous", nil, email("twin@example.test"), claims.Rejected, ReasonAmbiguous},
			{"no group required", map[string]any{"require_group": nil}, email("bob@example.test"), claims.Verified, ReasonVerified},
			{"missing evidence", nil, claims.Request{Evidence: map[string]string{}}, claims.Rejected, ReasonMissing},
			// Escaped, a wildcard or a filter fragment is looked up as
			// itself: unescaped, "*" would find every entry (ambiguous)
			// and the second would find alice.
			{"wildcard escaped", map[string]any{"require_group": nil}, email("*"), claims.Rejected, ReasonNoEntry},
			{"filter injection escaped", map[string]any{"require_group": nil}, email("x)(uid=alice"), claims.Rejected, ReasonNoEntry},
			{"prefix injection escaped", map[string]any{"require_group": nil}, email("alice*"), claims.Rejected, ReasonNoEntry},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := build(t, srv, tt.over, slapd.AdminPassword)
				ans, err := a.Check(ctx, tt.req)
				if err != nil {
					t.Fatal(err)
				}
				if ans.Verdict != tt.want || ans.Reason != tt.reason {
					t.Fatalf("answer = %+v, want %s %q", ans, tt.want, tt.reason)
				}
			})
		}
	})

	t.Run("misconfigured", func(t *testing.T) {
		tests := []struct {
			name     string
			over     map[string]any
			password string
		}{
			{"bind refused", nil, "wrong"},
			{"base missing", map[string]any{"base_dn": "ou=nope," + slapd.BaseDN}, slapd.AdminPassword},
			{"group missing", map[string]any{"require_group": "cn=nope," + groupsDN}, slapd.AdminPassword},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := build(t, srv, tt.over, tt.password)
				_, err := a.Check(ctx, email("alice@example.test"))
				if !errors.Is(err, claims.ErrMisconfigured) {
					t.Fatalf("err = %v, want ErrMisconfigured", err)
				}
				if strings.Contains(err.Error(), "alice") {
					t.Errorf("error quotes the evidence: %v", err)
				}
			})
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		b, _ := json.Marshal(map[string]any{"url": srv.URL(), "bind_dn": slapd.AdminDN, "bind_password": slapd.AdminPassword, "start_tls": true})
		a, err := Build("staff", settings(nil), b, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if _, err := a.Check(ctx, email("alice@example.test")); !errors.Is(err, claims.ErrMisconfigured) {
			t.Fatalf("err = %v, want ErrMisconfigured", err)
		}
	})

	t.Run("reconnects after a restart, unavailable when down", func(t *testing.T) {
		a := build(t, srv, nil, slapd.AdminPassword)
		dials := 0
		real := a.dial
		a.dial = func(ctx context.Context) (*ldap.Conn, error) { dials++; return real(ctx) }
		if ans, err := a.Check(ctx, email("alice@example.test")); err != nil || ans.Verdict != claims.Verified {
			t.Fatalf("before restart: %+v %v", ans, err)
		}
		srv.Restart(t)
		if ans, err := a.Check(ctx, email("alice@example.test")); err != nil || ans.Verdict != claims.Verified {
			t.Fatalf("after restart: %+v %v", ans, err)
		}
		if dials != 2 {
			t.Errorf("dials = %d, want 2 (one reconnect)", dials)
		}
		srv.Stop()
		ans, err := a.Check(ctx, email("alice@example.test"))
		if !errors.Is(err, claims.ErrUnavailable) || ans.Verdict != "" {
			t.Fatalf("server down: %+v %v, want ErrUnavailable", ans, err)
		}
	})
}

// stubDirectory answers the entry search with entry and counts group
// searches: slapd here has no memberof overlay, so the memberOf path
// runs against a stub.
type stubDirectory struct {
	entry         *ldap.Entry
	groupSearches int
}

func (s *stubDirectory) Search(r *ldap.SearchRequest) (*ldap.SearchResult, error) {
	if r.Scope == ldap.ScopeBaseObject {
		s.groupSearches++
		return &ldap.SearchResult{}, nil
	}
	return &ldap.SearchResult{Entries: []*ldap.Entry{s.entry}}, nil
}

func TestMemberOfDecidesWhenPresent(t *testing.T) {
	s, err := DecodeSettings(settings(map[string]any{"require_attribute": nil}))
	if err != nil {
		t.Fatal(err)
	}
	a := &Authority{name: "staff", settings: s}
	tests := []struct {
		memberOf []string
		want     claims.Verdict
	}{
		{[]string{"CN=Partners, OU=Groups,DC=example,DC=test"}, claims.Verified},
		{[]string{"cn=others," + groupsDN}, claims.Rejected},
	}
	for _, tt := range tests {
		stub := &stubDirectory{entry: ldap.NewEntry(aliceDN, map[string][]string{"memberOf": tt.memberOf})}
		ans, err := a.judge(context.Background(), stub, "(uid=alice)")
		if err != nil {
			t.Fatal(err)
		}
		if ans.Verdict != tt.want || stub.groupSearches != 0 {
			t.Errorf("memberOf %v: %+v after %d group searches, want %s and none", tt.memberOf, ans, stub.groupSearches, tt.want)
		}
	}
}

func TestCheckSettings(t *testing.T) {
	tests := []struct {
		name  string
		over  map[string]any
		field string
	}{
		{"valid", nil, ""},
		{"bad base", map[string]any{"base_dn": "not a dn"}, "base_dn"},
		{"bad group", map[string]any{"require_group": "nope"}, "require_group"},
		{"no placeholder", map[string]any{"filter": "(objectClass=*)"}, "filter"},
		{"not a filter", map[string]any{"filter": "(mail={email}"}, "filter"},
		{"bad attribute", map[string]any{"attributes": map[string]any{"x": "no spaces"}}, "attributes.x"},
		{"bad required attribute", map[string]any{"require_attribute": map[string]any{"a b": "x"}}, "require_attribute.a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSettings(settings(tt.over))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `"`+tt.field+`"`) {
				t.Fatalf("err = %v, want one naming %q", err, tt.field)
			}
		})
	}
}
