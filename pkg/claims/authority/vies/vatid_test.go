package vies

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		vatID, country, cc, number string
		err                        error
	}{
		{"DE123456789", "", "DE", "123456789", nil},
		{"de 123.456.789", "", "DE", "123456789", nil},
		{"GR094259216", "", "EL", "094259216", nil},
		{"gr-094 259 216", "GR", "EL", "094259216", nil},
		{"EL094259216", "GR", "EL", "094259216", nil},
		{"094259216", "GR", "EL", "094259216", nil},
		{"094259216", "el", "EL", "094259216", nil},
		{"NL 999999993 B01", "", "NL", "999999993B01", nil},
		{"IE1234567WA", "", "IE", "1234567WA", nil},
		{"XI123456789", "", "XI", "123456789", nil},
		{"FRXX999999999", "", "FR", "XX999999999", nil},
		{"XX999999999", "FR", "FR", "XX999999999", nil}, // a bare French number with a letter key
		{"DE123456789", "FR", "", "", ErrCountryMismatch},
		{"123456789", "", "", "", ErrBadVATID},       // no country at all
		{"US123456789", "", "", "", ErrBadVATID},     // not a member state
		{"GB123456789", "", "", "", ErrBadVATID},     // no longer one
		{"DE1", "", "", "", ErrBadVATID},             // too short
		{"DE1234567890123", "", "", "", ErrBadVATID}, // too long
		{"DE12345678!", "", "", "", ErrBadVATID},
		{"DEÜ23456789", "", "", "", ErrBadVATID},
		{"", "", "", "", ErrBadVATID},
	} {
		cc, number, err := Normalize(tc.vatID, tc.country)
		if cc != tc.cc || number != tc.number || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Normalize(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.vatID, tc.country, cc, number, err, tc.cc, tc.number, tc.err)
		}
	}
}

// What Normalize accepts is a member state and 2 to 12 characters VIES
// admits, and it is a fixed point: the joined id normalises to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range [][2]string{{"DE123456789", ""}, {"gr 094.259.216", "GR"}, {"094259216", "EL"}, {"", ""}, {"NL999999993B01", "nl"}, {"ÄÖ", "DE"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, vatID, country string) {
		cc, number, err := Normalize(vatID, country)
		if err != nil {
			if cc != "" || number != "" {
				t.Fatalf("values with an error: %q %q", cc, number)
			}
			return
		}
		if !slices.Contains(Countries, cc) || len(number) < 2 || len(number) > 12 ||
			strings.Trim(number, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+*") != "" {
			t.Fatalf("Normalize(%q, %q) = %q, %q", vatID, country, cc, number)
		}
		cc2, number2, err := Normalize(cc+number, "")
		if err != nil || cc2 != cc || number2 != number {
			t.Fatalf("not a fixed point: %q%q -> %q %q %v", cc, number, cc2, number2, err)
		}
	})
}
