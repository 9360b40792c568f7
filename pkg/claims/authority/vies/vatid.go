package vies

import (
	"errors"
	"slices"
	"strings"
)

// Countries are the VIES member state codes: the EU's, with Greece as EL
// (not its ISO code GR) and Northern Ireland as XI.
var Countries = []string{
	"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
	"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}

// ErrBadVATID is Normalize's error for anything that cannot be a VIES
// VAT number. It never quotes the input.
var ErrBadVATID = errors.New("vies: invalid input")

// ErrCountryMismatch: the VAT id's prefix and the country given beside it
// differ.
var ErrCountryMismatch = errors.New("vies: country mismatch")

// Normalize splits a VAT id as a customer may type it ("de 123.456.789",
// "GR-094259216") into the member state code VIES uses (GR becomes EL)
// and the number: spaces, dots, hyphens and slashes are dropped and
// letters upper-cased. A bare number whose first two letters happen to
// be a member state's code is read as prefixed. country, when not empty, is the profile's country
// (ISO, so GR is accepted for EL): it supplies the prefix a bare number
// lacks, and must agree with a prefix that is there.
func Normalize(vatID, country string) (cc, number string, err error) {
	var b strings.Builder
	for _, r := range vatID {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r == '+', r == '*':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == ' ' || r == '.' || r == '-' || r == '/' || r == '\t':
		default:
			return "", "", ErrBadVATID
		}
	}
	s := b.String()
	country = memberState(strings.ToUpper(strings.TrimSpace(country)))
	// A prefix is a member state's code; other leading letters (a French
	// number's key, "XX999999999") belong to a bare number.
	if len(s) >= 2 && slices.Contains(Countries, memberState(s[:2])) {
		cc, number = memberState(s[:2]), s[2:]
		if country != "" && country != cc {
			return "", "", ErrCountryMismatch
		}
	} else {
		cc, number = country, s
	}
	if !slices.Contains(Countries, cc) || len(number) < 2 || len(number) > 12 {
		return "", "", ErrBadVATID
	}
	return cc, number, nil
}

// memberState maps an ISO country code to VIES's.
func memberState(cc string) string {
	if cc == "GR" {
		return "EL"
	}
	return cc
}
