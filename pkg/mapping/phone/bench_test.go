package phone

import (
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// benchNumbers are what a mapping's e164 field sees: national and
// international, valid and not.
var benchNumbers = []testCase{
	{"0151 12345678", "DE"}, {"+49 30 123456", "DE"}, {"+44 20 7946 0958", "DE"},
	{"(0)664 1234567", "AT"}, {"+1 (415) 555-2671", "DE"}, {"123", "DE"}, {"+33 6 12 34 56 78", "DE"},
}

func BenchmarkE164(b *testing.B) {
	for b.Loop() {
		for _, c := range benchNumbers {
			E164(c.number, c.region)
		}
	}
}

// BenchmarkLibrary is the same through github.com/nyaruka/phonenumbers,
// for comparison.
func BenchmarkLibrary(b *testing.B) {
	for b.Loop() {
		for _, c := range benchNumbers {
			if n, err := phonenumbers.Parse(strings.TrimSpace(c.number), c.region); err == nil && phonenumbers.IsValidNumber(n) {
				phonenumbers.Format(n, phonenumbers.E164)
			}
		}
	}
}
