package emaildomain

import (
	"errors"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// errBadDomain: not a domain name this package can normalise.
var errBadDomain = errors.New("not a domain name")

// NormalizeDomain returns domain in the form the lists and allow entries
// are compared in: lower case, no trailing dot, each label with non-ASCII
// letters in its IDNA A-label form (xn--…). Unicode labels are first
// NFKC-normalised and lower-cased, and the ideographic and full-width
// full stops count as dots, which is what UTS #46 mapping does for the
// addresses people type; it is not the whole of UTS #46 (no
// disallowed-character or bidi checks): golang.org/x/net/idna is not a
// dependency of this module.
func NormalizeDomain(domain string) (string, error) {
	d := norm.NFKC.String(strings.TrimSpace(domain))
	d = strings.NewReplacer("。", ".", "．", ".", "｡", ".").Replace(d)
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if d == "" || len(d) > 253 {
		return "", errBadDomain
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", errBadDomain
	}
	for i, l := range labels {
		a, err := aLabel(l)
		if err != nil {
			return "", err
		}
		labels[i] = a
	}
	out := strings.Join(labels, ".")
	if len(out) > 253 {
		return "", errBadDomain
	}
	return out, nil
}

// aLabel checks one label and encodes it with Punycode when it is not
// ASCII.
func aLabel(l string) (string, error) {
	ascii := true
	for i := 0; i < len(l); i++ {
		if l[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		p, err := punycode(l)
		if err != nil {
			return "", err
		}
		l = "xn--" + p
	}
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return "", errBadDomain
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", errBadDomain
		}
	}
	return l, nil
}

// Punycode's parameters (RFC 3492, section 5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

// punycode encodes s as RFC 3492 describes (section 6.3), without the
// xn-- prefix.
func punycode(s string) (string, error) {
	runes := []rune(s)
	var out []byte
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias := rune(pcInitialN), 0, pcInitialBias
	for h < len(runes) {
		m := rune(0x7fffffff)
		for _, r := range runes {
			if r >= n && r < m {
				m = r
			}
		}
		if int(m-n) > (1<<30)/(h+1) {
			return "", errBadDomain // overflow: no real label gets here
		}
		delta += int(m-n) * (h + 1)
		n = m
		for _, r := range runes {
			if r < n {
				delta++
			}
			if r != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := min(max(k-bias, pcTMin), pcTMax)
				if q < t {
					break
				}
				out = append(out, digit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, digit(q))
			bias = adapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out), nil
}

func digit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func adapt(delta, points int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
