package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxRedirects is as many as net/http follows by default.
const maxRedirects = 10

// RefusedError is a call, redirect or URL the policy refused. Reason names
// the rule and the host or address, never a path, query or header.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused by the egress policy: " + e.Reason }

func refusedf(format string, a ...any) *RefusedError {
	return &RefusedError{Reason: fmt.Sprintf(format, a...)}
}

// permanent classifies a refusal: calling again cannot help.
func permanent(err *RefusedError) error { return fault.Wrap(fault.Permanent, err) }

// IsRefused reports whether err, at any depth, is a refusal.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// Client returns a client that calls out as p allows, each call bounded by
// timeout.
func Client(p Policy, timeout time.Duration) *http.Client {
	return &http.Client{Transport: NewTransport(p), Timeout: timeout, CheckRedirect: p.checkRedirect}
}

// Transport is the guarded round tripper a Client uses; a transport that
// wraps it (the local stack's sandbox) reports its policy with
// EgressPolicy, so PolicyOf finds it.
type Transport struct {
	policy Policy
	next   *http.Transport
}

// NewTransport returns the transport of Client(p, …).
func NewTransport(p Policy) *Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // through a proxy, the dial check would see the proxy
	t.DialContext = d.DialContext
	// Keep a connection per concurrent call to a back-end (the local
	// stack runs a target's batches side by side, max_concurrency of them):
	// with the default 2, every call beyond it dials, and TLS-handshakes,
	// again.
	t.MaxIdleConnsPerHost = 16
	return &Transport{policy: p, next: t}
}

// EgressPolicy is the policy t enforces.
func (t *Transport) EgressPolicy() Policy { return t.policy }

// RoundTrip checks r's URL, then sends r; the dial is checked again on the
// resolved address.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.policy.checkURL(r.URL); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, permanent(err)
	}
	return t.next.RoundTrip(r)
}

// PolicyOf is the policy hc's calls meet: its transport's EgressPolicy,
// or Production for a nil client or one pkg/egress did not build, so a
// configuration check never passes for want of a policy.
func PolicyOf(hc *http.Client) Policy {
	if hc != nil {
		if t, ok := hc.Transport.(interface{ EgressPolicy() Policy }); ok {
			return t.EgressPolicy()
		}
	}
	return Production
}

// CheckURL is the configuration-time check of a URL hc will be asked to
// call: absolute, https unless its host is allowed http, and not a literal
// address the policy refuses (names are checked when dialled). The error
// quotes the host, never the rest of the URL.
func CheckURL(hc *http.Client, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("want an absolute https URL")
	}
	if err := PolicyOf(hc).checkURL(u); err != nil {
		return err
	}
	return nil // not `return PolicyOf(hc).checkURL(u)`: a nil *RefusedError is a non-nil error
}

// checkURL checks a request's scheme and host before anything is dialled.
func (p Policy) checkURL(u *url.URL) *RefusedError {
	host := u.Hostname()
	switch {
	case host == "":
		return refusedf("the URL has no host")
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !p.httpAllowed(host) {
			return refusedf("http to %s: https required (allow the host with %s)", host, EnvAllowHTTPHosts)
		}
	default:
		return refusedf("scheme %q to %s: https required", u.Scheme, host)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return p.checkAddr(a)
	}
	if a, ok := legacyIPv4(host); ok {
		if err := p.checkAddr(a); err != nil {
			return refusedf("%s (spelled %s)", err.Reason, host)
		}
		return refusedf("%s is a non-canonical spelling of the address %s", host, a)
	}
	return nil
}

// control runs after DNS resolution, on the address about to be dialled.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return permanent(refusedf("cannot check the dial address"))
	}
	if err := p.checkAddr(ap.Addr()); err != nil {
		return permanent(err)
	}
	return nil
}

// checkRedirect follows a redirect only to the same host and port, and
// never from https to http; a refused redirect is an error, not a silent
// stop.
func (p Policy) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return permanent(refusedf("more than %d redirects", maxRedirects))
	}
	prev := via[len(via)-1].URL
	if prev.Scheme == "https" && req.URL.Scheme != "https" {
		return permanent(refusedf("redirect from https to %s on %s", req.URL.Scheme, req.URL.Hostname()))
	}
	if !strings.EqualFold(prev.Hostname(), req.URL.Hostname()) || port(prev) != port(req.URL) {
		return permanent(refusedf("redirect from %s to another host, %s", prev.Hostname(), req.URL.Hostname()))
	}
	return nil
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}
