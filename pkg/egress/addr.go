package egress

import (
	"net/netip"
	"strconv"
	"strings"
)

const (
	classLoopback    = "loopback"
	classLinkLocal   = "link-local"
	classPrivate     = "private"
	classShared      = "shared (CGNAT)"
	classUnspecified = "unspecified"
	classMulticast   = "multicast"
)

var (
	linkLocal = []netip.Prefix{
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("fd00:ec2::254/128"), // the EC2 metadata service over IPv6
	}
	private = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("fc00::/7"),
	}
	shared = netip.MustParsePrefix("100.64.0.0/10")
	// thisNet is 0.0.0.0/8: "this network", which dials the local host.
	thisNet = netip.MustParsePrefix("0.0.0.0/8")
)

// classify names the class of a that is refused unless allowed, or "" for
// a public address. Link-local comes before private: fd00:ec2::254 is in
// fc00::/7 too, and the metadata service is never allowed.
func classify(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsUnspecified() || thisNet.Contains(a):
		return classUnspecified
	case a.IsLoopback():
		return classLoopback
	case containsAny(linkLocal, a) || a.IsLinkLocalMulticast():
		return classLinkLocal
	case containsAny(private, a):
		return classPrivate
	case shared.Contains(a):
		return classShared
	case a.IsMulticast():
		return classMulticast
	}
	return ""
}

func containsAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// legacyIPv4 parses the spellings inet_aton accepts and net/netip does not:
// one to four parts, each decimal, octal (leading 0) or hex (0x), the last
// filling the remaining bytes ("2130706433", "0x7f.1", "0177.0.0.1",
// "127.1"). Resolvers that use the C library dial these as addresses, so
// the guard treats them as the address they spell.
func legacyIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 || host == "" {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(strings.ToLower(p), "0x"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" && base != 8 {
			return netip.Addr{}, false
		}
		if digits == "" {
			digits = "0"
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
