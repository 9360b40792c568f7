package ldap

import (
	"context"
	"reflect"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/slapd"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// addEntry adds an inetOrgPerson (plus attrs) at dn as the admin.
func addEntry(t *testing.T, srv *slapd.Server, dn string, attrs map[string][]string) {
	t.Helper()
	srv.Admin(t, func(conn *ldap.Conn) error {
		add := ldap.NewAddRequest(dn, nil)
		add.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "inetOrgPerson"})
		for k, v := range attrs {
			add.Attribute(k, v)
		}
		return conn.Add(add)
	})
}

func readAllEntries(t *testing.T, r connector.Reader, size int) ([]connector.Record, int) {
	t.Helper()
	var all []connector.Record
	cursor, pages := "", 0
	for {
		recs, next, err := r.Records(context.Background(), cursor, size)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, recs...)
		if next == "" {
			return all, pages
		}
		if pages > 100 {
			t.Fatal("the reader does not stop")
		}
		cursor = next
	}
}

// Managed entries come back keyed by the id attribute with the mapped
// attributes (one value a string, more a sorted list, none nil); a person
// without the id attribute is unmanaged; other entries below the base (an
// organizational unit, a group) are not read; paths the connector owns or
// that cannot be attributes are left out. Paged by 2 over one connection.
func TestReaderPagesThroughEntries(t *testing.T) {
	srv := slapd.Start(t)
	c, dials := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	for _, k := range []string{"u-1", "u-2", "u-3", "u-4"} {
		addEntry(t, srv, "uid="+k+","+slapd.PeopleDN, map[string][]string{"uid": {k}, "cn": {"Person " + k}, "sn": {k}})
	}
	srv.Admin(t, func(conn *ldap.Conn) error {
		m := ldap.NewModifyRequest("uid=u-2,"+slapd.PeopleDN, nil)
		m.Replace("mail", []string{"z@example.test", "a@example.test"})
		return conn.Modify(m)
	})
	addEntry(t, srv, "cn=Walk In,"+slapd.PeopleDN, map[string][]string{"cn": {"Walk In"}, "sn": {"In"}, "mail": {"walkin@example.test"}})
	srv.Admin(t, func(conn *ldap.Conn) error {
		add := ldap.NewAddRequest("ou=groups,"+slapd.PeopleDN, nil)
		add.Attribute("objectClass", []string{"organizationalUnit"})
		add.Attribute("ou", []string{"groups"})
		return conn.Add(add)
	})
	r, read, err := c.Reader([]string{"cn", "mail", "name.given", "objectClass", "uid", "sn"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cn", "mail", "sn"}; !reflect.DeepEqual(read, want) {
		t.Errorf("read = %v, want %v", read, want)
	}
	got, pages := readAllEntries(t, r, 2)
	if pages != 3 {
		t.Errorf("%d pages for 5 entries by 2", pages)
	}
	byKey := map[string]map[string]any{}
	unmanaged := 0
	for _, rec := range got {
		if rec.Key == "" {
			unmanaged++
			if rec.Fields != nil {
				t.Errorf("an unmanaged entry came with fields %v", rec.Fields)
			}
			continue
		}
		byKey[rec.Key] = rec.Fields
	}
	if unmanaged != 1 || len(byKey) != 4 {
		t.Fatalf("%d unmanaged, managed %v", unmanaged, byKey)
	}
	if want := map[string]any{"cn": "Person u-2", "sn": "u-2", "mail": []any{"a@example.test", "z@example.test"}}; !reflect.DeepEqual(byKey["u-2"], want) {
		t.Errorf("u-2 = %v, want %v", byKey["u-2"], want)
	}
	if want := map[string]any{"cn": "Person u-1", "sn": "u-1", "mail": nil}; !reflect.DeepEqual(byKey["u-1"], want) {
		t.Errorf("u-1 = %v, want %v", byKey["u-1"], want)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials for one paged search", n)
	}
}

// A cookie lives on its connection: after the connection is renewed the
// next page is refused as Transient, and reading from the start works.
func TestReaderCursorDoesNotOutliveTheConnection(t *testing.T) {
	srv := slapd.Start(t)
	c, _ := newSlapdClient(t, srv, nil, slapd.AdminPassword)
	for _, k := range []string{"u-1", "u-2", "u-3"} {
		addEntry(t, srv, "uid="+k+","+slapd.PeopleDN, map[string][]string{"uid": {k}, "cn": {k}, "sn": {k}})
	}
	r, _, _ := c.Reader([]string{"cn"})
	ctx := context.Background()
	recs, next, err := r.Records(ctx, "", 2)
	if err != nil || len(recs) != 2 || next == "" {
		t.Fatalf("first page: %d records, next %q, err %v", len(recs), next, err)
	}
	c.Close()
	_, _, err = r.Records(ctx, next, 2)
	if fe := fault.As(err); err == nil || fe.Class != fault.Transient || fe.Code != "pagedSearchLost" {
		t.Fatalf("after reconnect: %v", err)
	}
	if _, _, err := r.Records(ctx, "!not base64", 2); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("bad cursor: %v", err)
	}
	if got, _ := readAllEntries(t, r, 2); len(got) != 3 {
		t.Errorf("%d records read again from the start", len(got))
	}
}

func TestReadValue(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want any
	}{
		{nil, nil},
		{[]string{"x"}, "x"},
		{[]string{"TRUE"}, true},
		{[]string{"FALSE"}, false},
		{[]string{"true"}, "true"},
		{[]string{"b", "a"}, []any{"a", "b"}},
	} {
		if got := readValue(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("readValue(%v) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
