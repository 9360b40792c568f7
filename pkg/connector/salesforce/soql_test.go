package salesforce

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

func TestQuoteSOQL(t *testing.T) {
	tests := []struct{ in, want, like string }{
		{"D-1001", `'D-1001'`, `'D-1001'`},
		{"O'Brien", `'O\'Brien'`, `'O\'Brien'`},
		{`back\slash`, `'back\\slash'`, `'back\\slash'`},
		{`say "hi"`, `'say \"hi\"'`, `'say \"hi\"'`},
		{"a\nb\rc\td\be\ff", `'a\nb\rc\td\be\ff'`, `'a\nb\rc\td\be\ff'`},
		{"50%_off", `'50%_off'`, `'50\%\_off'`},
		{"nul\x00bell\x07", `'nul\u0000bell\u0007'`, `'nul\u0000bell\u0007'`},
		{"ümlaut €", `'ümlaut €'`, `'ümlaut €'`},
		{`x' OR Name != '`, `'x\' OR Name != \''`, `'x\' OR Name != \''`},
		{`\' OR Id != null OR Name = \`, `'\\\' OR Id != null OR Name = \\'`, `'\\\' OR Id != null OR Name = \\'`},
	}
	for _, tt := range tests {
		if got := QuoteSOQL(tt.in); got != tt.want {
			t.Errorf("QuoteSOQL(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got := QuoteSOQLLike(tt.in); got != tt.like {
			t.Errorf("QuoteSOQLLike(%q) = %s, want %s", tt.in, got, tt.like)
		}
	}
}

// TestQuotedValuesCannotChangeTheQuery runs hostile values through the
// fake's SOQL parser: each must match only a record holding exactly that
// value, never the decoy, and never make the query malformed.
func TestQuotedValuesCannotChangeTheQuery(t *testing.T) {
	hostile := []string{
		`x' OR Name != '`,
		`\' OR Id != null OR Name = \`,
		`x\`,
		`x\\' AND IsPartner = true AND Name = 'y`,
		`' LIMIT 100 --`,
		"line\nbreak' OR Name = 'decoy",
		`"double" 'single' \back\`,
		`%_%`,
	}
	r, fake := newTestReader(t)
	fake.Put("Account", map[string]any{"Name": "decoy", "Dealer_Number__c": "decoy", "IsPartner": true})
	ids := map[string]string{}
	for _, v := range hostile {
		ids[v] = fake.Put("Account", map[string]any{"Name": "n", "Dealer_Number__c": v, "IsPartner": true})
	}
	for _, v := range hostile {
		recs, err := r.Query(context.Background(), "SELECT Id FROM Account WHERE Dealer_Number__c = "+QuoteSOQL(v)+" AND IsPartner = true LIMIT 5")
		if err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if len(recs) != 1 || recs[0]["Id"] != ids[v] {
			t.Errorf("%q matched %v, want only %s", v, recs, ids[v])
		}
	}
}

// FuzzQuoteSOQL: whatever the value, the fake's literal parser reads
// QuoteSOQL's output back as exactly that value and ends where the
// literal ends, so nothing after it belongs to the value or vice versa.
func FuzzQuoteSOQL(f *testing.F) {
	for _, s := range []string{"", "O'Brien", `a\b`, "\n\r\t\b\f", `"`, "\x00\x1f\x7f", "€", `\u0041`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("SOQL is UTF-8 text")
		}
		q := QuoteSOQL(s)
		got, n, err := sfsandbox.UnquoteLiteral(q + " AND X = 'y'")
		if err != nil {
			t.Fatalf("UnquoteLiteral(%s): %v", q, err)
		}
		if got != s || n != len(q) {
			t.Fatalf("round trip of %q: got %q spanning %d bytes of %d", s, got, n, len(q))
		}
		if strings.ContainsAny(q[1:len(q)-1], "\n\r") {
			t.Fatalf("literal %s spans lines", q)
		}
	})
}
