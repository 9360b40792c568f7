package egress

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The environment variables FromEnv reads.
const (
	// EnvAllowHTTPHosts lists, comma-separated, the host names (no port)
	// that may be called over plain http, e.g. an on-premise back-end
	// behind a VPN: "crm.intra.example,10.1.2.3".
	EnvAllowHTTPHosts = "EGRESS_ALLOW_HTTP_HOSTS"
	// EnvAllowPrivate, when true, allows private (RFC 1918, fc00::/7) and
	// shared (100.64.0.0/10) addresses, for back-ends inside the VPC or
	// reached over a VPN. Loopback, link-local and unspecified addresses
	// stay refused.
	EnvAllowPrivate = "EGRESS_ALLOW_PRIVATE"
	// EnvAllowLoopback, when true, allows loopback addresses: only for a
	// function run against local fakes (sam local, internal/lambdatest);
	// a deployed function has nothing to call on its own loopback.
	EnvAllowLoopback = "EGRESS_ALLOW_LOOPBACK"
)

// Policy is what a client may call. The zero Policy is the production one:
// https only, public addresses only.
type Policy struct {
	// AllowHTTPHosts may be called over http; host names, case-insensitive,
	// without port.
	AllowHTTPHosts []string
	// AllowPrivate allows RFC 1918, fc00::/7 and 100.64.0.0/10 addresses.
	AllowPrivate bool
	// AllowLoopback allows 127.0.0.0/8 and ::1: the local stack and tests.
	AllowLoopback bool
}

// Production is the policy of a deployed function with no allowances.
var Production = Policy{}

// Local is the local stack's and the tests' policy: the production rules,
// plus loopback addresses, callable over http by their loopback names.
var Local = Policy{AllowLoopback: true, AllowHTTPHosts: []string{"127.0.0.1", "::1", "localhost"}}

// FromEnv is the production policy plus what EnvAllowHTTPHosts,
// EnvAllowPrivate and EnvAllowLoopback allow. getenv is os.Getenv outside
// tests.
func FromEnv(getenv func(string) string) (Policy, error) {
	var p Policy
	for _, h := range strings.Split(getenv(EnvAllowHTTPHosts), ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, ":/@ ") && !isIPv6(h) {
			return Policy{}, fmt.Errorf("%s: %q is not a host name (no scheme, port or path)", EnvAllowHTTPHosts, h)
		}
		p.AllowHTTPHosts = append(p.AllowHTTPHosts, strings.ToLower(h))
	}
	for name, allow := range map[string]*bool{EnvAllowPrivate: &p.AllowPrivate, EnvAllowLoopback: &p.AllowLoopback} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Policy{}, fmt.Errorf("%s: %q is not true or false", name, v)
			}
			*allow = b
		}
	}
	return p, nil
}

func isIPv6(h string) bool {
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && a.Is6()
}

// httpAllowed says whether host may be called over http.
func (p Policy) httpAllowed(host string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	return slices.ContainsFunc(p.AllowHTTPHosts, func(h string) bool { return strings.Trim(h, "[]") == host })
}

// checkAddr refuses an address the policy does not allow; the reason names
// its class.
func (p Policy) checkAddr(a netip.Addr) *RefusedError {
	a = a.Unmap()
	switch class := classify(a); class {
	case "":
		return nil
	case classLoopback:
		if p.AllowLoopback {
			return nil
		}
		return refusedf("%s is a %s address", a, class)
	case classPrivate, classShared:
		if p.AllowPrivate {
			return nil
		}
		return refusedf("%s is a %s address (set %s=true to allow)", a, class, EnvAllowPrivate)
	default:
		return refusedf("%s is a %s address", a, class)
	}
}
