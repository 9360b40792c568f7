package npi

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"1234567893", "1234567893", true}, // CMS's worked example
		{"1234567890", "", false},
		{"1234 5678 93", "1234567893", true},
		{"123-456-7893", "1234567893", true},
		{" 1234567893\t", "1234567893", true},
		{"123456789", "", false},   // nine digits
		{"12345678930", "", false}, // eleven
		{"123456789O", "", false},  // a letter O
		{"１２３４５６７８９３", "", false},  // full-width digits are not ASCII
		{"", "", false},
		{"1999000015", "1999000015", true},
		{"2999000047", "2999000047", true},
		{"1999000016", "", false},
	} {
		got, err := Normalize(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrBadNumber) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrBadNumber", tc.in, got, err)
		}
	}
}

func TestLuhn(t *testing.T) {
	for in, want := range map[string]bool{
		"808401234567893": true,
		"79927398713":     true, // the textbook vector
		"79927398710":     false,
		"":                false,
		"12a":             false,
	} {
		if got := Luhn(in); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", in, got, want)
		}
	}
}

// Whatever Normalize accepts is ten ASCII digits that pass the check, and
// normalising it again changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"1234567893", "1234 5678 93", "123-456-7893", "", "abc", "12345678901234567890", "１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Normalize(in)
		if err != nil {
			if got != "" {
				t.Fatalf("Normalize(%q) = %q with an error", in, got)
			}
			return
		}
		if len(got) != 10 || strings.Trim(got, "0123456789") != "" || !Luhn("80840"+got) {
			t.Fatalf("Normalize(%q) = %q, not a checked NPI", in, got)
		}
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Fatalf("Normalize is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
