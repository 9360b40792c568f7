package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/claims"
	ldapconn "github.com/profilesync/profilesync/pkg/connector/ldap"
)

// DefaultTimeout bounds a dial and each request when the context has no
// earlier deadline.
const DefaultTimeout = 5 * time.Second

// transientCodes are result codes that may pass: the directory is busy,
// going away or unreachable (81, 85, 91 and ErrorNetwork are go-ldap's
// own codes for a lost connection).
var transientCodes = []uint16{
	ldap.LDAPResultTimeLimitExceeded, ldap.LDAPResultAdminLimitExceeded, ldap.LDAPResultBusy,
	ldap.LDAPResultUnavailable, ldap.LDAPResultOther, ldap.LDAPResultServerDown,
	ldap.LDAPResultTimeout, ldap.LDAPResultConnectError, ldap.ErrorNetwork,
}

// reconnectCodes are worth one fresh connection: it dropped, or the
// server restarted.
var reconnectCodes = []uint16{
	ldap.LDAPResultUnavailable, ldap.LDAPResultServerDown, ldap.LDAPResultConnectError, ldap.ErrorNetwork,
}

// dialer returns a function that opens and binds a connection to the
// directory creds names (ldaps://, or ldap:// with StartTLS or, when the
// secret allows it, in clear).
func dialer(creds ldapconn.Credentials) (func(context.Context) (*ldap.Conn, error), error) {
	u, err := url.Parse(creds.URL)
	if err != nil {
		return nil, errors.New("secret url: not a URL")
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if creds.CACertPEM != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(creds.CACertPEM))
		tc.RootCAs = pool
	}
	return func(ctx context.Context) (*ldap.Conn, error) {
		opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: timeout(ctx)})}
		if u.Scheme == "ldaps" {
			opts = append(opts, ldap.DialWithTLSConfig(tc))
		}
		conn, err := ldap.DialURL(creds.URL, opts...)
		if err != nil {
			return nil, err
		}
		conn.SetTimeout(timeout(ctx))
		if creds.StartTLS {
			if err := conn.StartTLS(tc); err != nil {
				conn.Close()
				return nil, err
			}
		}
		if err := conn.Bind(creds.BindDN, creds.BindPassword); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}, nil
}

// with runs op on the bound connection, connecting first when there is
// none. When op finds the connection gone (the directory restarted, an
// idle connection was cut) it reconnects and runs op once more. Requests
// are serialized on the one connection.
func (a *Authority) with(ctx context.Context, op func(*ldap.Conn) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("directory authority %s: %w: %w", a.name, claims.ErrUnavailable, err)
		}
		if a.conn == nil || a.conn.IsClosing() {
			a.drop()
			conn, err := a.dial(ctx)
			if err != nil {
				return a.classify("connect", err)
			}
			a.conn = conn
		}
		a.conn.SetTimeout(timeout(ctx))
		err := op(a.conn)
		if err != nil && ldap.IsErrorAnyOf(err, reconnectCodes...) {
			a.drop()
			if attempt == 0 {
				continue
			}
		}
		return err
	}
}

func (a *Authority) drop() {
	if a.conn != nil {
		_ = a.conn.Close()
		a.conn = nil
	}
}

// Close closes the connection; the authority stays usable.
func (a *Authority) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drop()
	return nil
}

// classify turns a directory failure into ErrUnavailable (busy, down,
// unreachable) or ErrMisconfigured (a refused bind, a missing base or
// group, an untrusted certificate, anything else the directory refuses).
// The message carries the result code's name, never the directory's
// diagnostic, which may quote a DN or a value.
func (a *Authority) classify(step string, err error) error {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return fmt.Errorf("directory authority %s: %s: %w: %v", a.name, step, claims.ErrUnavailable, err)
	}
	if isCertificateError(le.Err) {
		return fmt.Errorf("directory authority %s: %s: %w: the directory's certificate is not trusted (check ca_cert_pem)", a.name, step, claims.ErrMisconfigured)
	}
	name := ldap.LDAPResultCodeMap[le.ResultCode]
	switch {
	case ldap.IsErrorAnyOf(err, transientCodes...):
		return fmt.Errorf("directory authority %s: %s: %w: %s (%d)", a.name, step, claims.ErrUnavailable, name, le.ResultCode)
	case le.ResultCode == ldap.LDAPResultInvalidCredentials:
		return fmt.Errorf("directory authority %s: %s: %w: bind refused (check bind_dn and bind_password)", a.name, step, claims.ErrMisconfigured)
	}
	return fmt.Errorf("directory authority %s: %s: %w: %s (%d)", a.name, step, claims.ErrMisconfigured, name, le.ResultCode)
}

// isCertificateError spots a certificate the client refused. ldaps://
// dials keep the x509 error in the chain; go-ldap's StartTLS formats it
// into its message ("TLS handshake failed (tls: failed to verify
// certificate: x509: …)"), so that one is recognised by its text.
func isCertificateError(err error) bool {
	if err == nil {
		return false
	}
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	var tv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &he) || errors.As(err, &tv) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "TLS handshake failed") && strings.Contains(msg, "x509:")
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
