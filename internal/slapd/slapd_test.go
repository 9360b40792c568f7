package slapd

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestStartServesBaseEntriesAndSurvivesRestart(t *testing.T) {
	srv := Start(t)
	count := func() int {
		var n int
		srv.Admin(t, func(c *ldap.Conn) error {
			res, err := c.Search(ldap.NewSearchRequest(BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
				0, 0, false, "(objectClass=*)", []string{"dn"}, nil))
			if err == nil {
				n = len(res.Entries)
			}
			return err
		})
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d entries, want the base and ou=people", n)
	}
	url := srv.URL()
	srv.Restart(t)
	if srv.URL() != url || count() != 2 {
		t.Fatalf("after restart: url %s (was %s), entries %d", srv.URL(), url, count())
	}
}
