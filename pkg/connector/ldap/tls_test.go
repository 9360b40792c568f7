package ldap

import (
	"context"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/slapd"
)

// tlsState reports whether the client's connection is encrypted.
func tlsState(t *testing.T, c *Client) bool {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, ok := c.conn.(*ldap.Conn)
	if !ok {
		t.Fatalf("connection is %T", c.conn)
	}
	st, ok := conn.TLSConnectionState()
	return ok && st.HandshakeComplete
}

func TestTransportAgainstSlapd(t *testing.T) {
	srv := slapd.Start(t)
	base := Credentials{URL: srv.URL(), BindDN: slapd.AdminDN, BindPassword: slapd.AdminPassword}
	other := slapd.Start(t) // its CA did not sign srv's certificate
	tests := []struct {
		name    string
		creds   func(Credentials) Credentials
		wantTLS bool
		wantErr string
	}{
		{"start_tls with the directory's CA", func(c Credentials) Credentials {
			c.StartTLS, c.CACertPEM = true, srv.CACertPEM()
			return c
		}, true, ""},
		{"start_tls with another CA", func(c Credentials) Credentials {
			c.StartTLS, c.CACertPEM = true, other.CACertPEM()
			return c
		}, false, "certificate"},
		{"insecure plain ldap", func(c Credentials) Credentials {
			c.Insecure = true
			return c
		}, false, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newSlapdClientWith(t, srv, nil, tt.creds(base))
			key := "tls-" + string(rune('a'+i))
			_, err := c.Upsert(context.Background(), rec(key, map[string]any{"cn": "A", "sn": "B"}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("upsert = %v, want an error about the %s", err, tt.wantErr)
				}
				if lookup(t, srv, "uid="+key+","+slapd.PeopleDN) != nil {
					t.Fatal("entry written over an unverified connection")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tlsState(t, c); got != tt.wantTLS {
				t.Fatalf("TLS = %v, want %v", got, tt.wantTLS)
			}
		})
	}
}

func TestPlainLDAPRefusedWithoutInsecure(t *testing.T) {
	s, err := DecodeSettings(map[string]any{"dn_template": "uid={key},ou=people,dc=example,dc=test"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New("l", s, Credentials{URL: "ldap://127.0.0.1:389", BindDN: "cn=admin,dc=example,dc=test", BindPassword: "pw"}, nil)
	if err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("New over plain ldap = %v, want a refusal", err)
	}
	for _, c := range []Credentials{
		{URL: "ldap://127.0.0.1:389", BindDN: "cn=admin", BindPassword: "pw", StartTLS: true},
		{URL: "ldaps://127.0.0.1:636", BindDN: "cn=admin", BindPassword: "pw"},
		{URL: "ldap://127.0.0.1:389", BindDN: "cn=admin", BindPassword: "pw", Insecure: true},
	} {
		if _, err := New("l", s, c, nil); err != nil {
			t.Errorf("%s start_tls=%v insecure=%v: %v", c.URL, c.StartTLS, c.Insecure, err)
		}
	}
}
