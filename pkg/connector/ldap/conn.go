package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/url"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/fault"
)

// DefaultTimeout bounds one LDAP request (and a dial) when the context has
// no earlier deadline.
const DefaultTimeout = 30 * time.Second

// directory is the part of *ldap.Conn the client uses. Production code
// always gets a real connection; the AD tests record requests through a
// fake, because there is no Active Directory to run here.
type directory interface {
	Bind(username, password string) error
	Add(*ldap.AddRequest) error
	Modify(*ldap.ModifyRequest) error
	Del(*ldap.DelRequest) error
	Search(*ldap.SearchRequest) (*ldap.SearchResult, error)
	SetTimeout(time.Duration)
	IsClosing() bool
	Close() error
}

var _ directory = (*ldap.Conn)(nil)

// dialer opens an unbound connection.
type dialer func(ctx context.Context) (directory, error)

// with runs op on the client's one connection, dialling and binding first
// when there is none (or it closed). When op fails in a way a fresh
// connection may cure (a dropped connection, a restarted server, 52
// unavailable, a 49 on a session whose bind lapsed), it reconnects, rebinds
// and runs op once more; op must therefore be safe to repeat, which every
// operation here is (each starts with a search). Requests are serialized:
// an LDAP connection is cheap to hold and one per Lambda container keeps
// the directory's connection count predictable.
func (c *Client) with(ctx context.Context, op func(directory) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fault.Wrap(fault.Transient, err)
		}
		d, err := c.connect(ctx)
		if err != nil {
			return err
		}
		d.SetTimeout(timeout(ctx))
		err = op(d)
		if err == nil {
			return nil
		}
		if isCode(err, reconnectCodes...) {
			c.drop()
			if attempt == 0 {
				continue
			}
		}
		return err
	}
}

// connect returns the open, bound connection, making one if needed. Its
// errors are classified: a refused bind is Auth, a refused dial Transient.
func (c *Client) connect(ctx context.Context) (directory, error) {
	if c.conn != nil && !c.conn.IsClosing() {
		return c.conn, nil
	}
	c.drop()
	d, err := c.dial(ctx)
	if err != nil {
		return nil, classify(err, false, nil)
	}
	d.SetTimeout(timeout(ctx))
	if err := d.Bind(c.creds.BindDN, c.creds.BindPassword); err != nil {
		d.Close()
		return nil, classify(err, true, []string{c.creds.BindPassword})
	}
	c.conn = d
	return d, nil
}

// drop closes the connection, if any; the next call makes a new one.
func (c *Client) drop() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// Close closes the connection. The client stays usable: the next call
// reconnects.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
	return nil
}

// dialURL is the production dialer: ldap:// (optionally upgraded with
// StartTLS) or ldaps://, verifying the server against the secret's CA or
// the system pool.
func dialURL(creds Credentials) (dialer, error) {
	u, err := url.Parse(creds.URL)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if creds.CACertPEM != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(creds.CACertPEM))
		tc.RootCAs = pool
	}
	return func(ctx context.Context) (directory, error) {
		opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: timeout(ctx)})}
		if u.Scheme == "ldaps" {
			opts = append(opts, ldap.DialWithTLSConfig(tc))
		}
		conn, err := ldap.DialURL(creds.URL, opts...)
		if err != nil {
			return nil, err
		}
		if creds.StartTLS {
			if err := conn.StartTLS(tc); err != nil {
				conn.Close()
				return nil, err
			}
		}
		return conn, nil
	}, nil
}

// timeout is DefaultTimeout, or less when ctx ends sooner.
func timeout(ctx context.Context) time.Duration {
	d := DefaultTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			d = max(left, time.Millisecond)
		}
	}
	return d
}
