package slapd

import (
	"crypto/tls"
	"crypto/x509"
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

func TestStartTLSWithTheThrowawayCA(t *testing.T) {
	srv := Start(t)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(srv.CACertPEM())) {
		t.Fatal("CACertPEM holds no certificate")
	}
	conn, err := ldap.DialURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("StartTLS: %v\nslapd output:\n%s", err, srv.Log())
	}
	if st, ok := conn.TLSConnectionState(); !ok || !st.HandshakeComplete {
		t.Fatal("no TLS after StartTLS")
	}
	if err := conn.Bind(AdminDN, AdminPassword); err != nil {
		t.Fatal(err)
	}
}
