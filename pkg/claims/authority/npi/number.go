package npi

import (
	"errors"
	"strings"
)

// ErrBadNumber is Normalize's error for anything that is not an NPI:
// not ten digits, or a wrong check digit.
var ErrBadNumber = errors.New("npi: bad check digit")

// Normalize returns the ten digits of raw, an NPI as a customer may type
// it (spaces and hyphens between digit groups are dropped), or
// ErrBadNumber when they are not ten digits whose last is the Luhn check
// digit CMS defines: computed over the number prefixed with 80840, the
// ISO card issuer prefix of US health care.
func Normalize(raw string) (string, error) {
	var b strings.Builder
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t':
		default:
			return "", ErrBadNumber
		}
	}
	n := b.String()
	if len(n) != 10 || !Luhn("80840"+n) {
		return "", ErrBadNumber
	}
	return n, nil
}

// Luhn reports whether digits (ASCII digits only) end in their Luhn check
// digit.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
