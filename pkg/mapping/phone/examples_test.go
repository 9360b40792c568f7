package phone

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// goldenRegions are the regions testdata/examples.tsv pins: DE, the
// default region the shipped mappings use (mappings/salesforce.yaml), and
// the regions most profiles come from. TestMatchesLibrary covers every
// region against the library itself.
var goldenRegions = []string{
	"DE", "AT", "CH", "GB", "US", "CA", "FR", "NL", "BE", "LU", "IT", "ES", "PT", "IE",
	"PL", "CZ", "SE", "DK", "NO", "FI", "AU", "NZ", "IN", "BR", "MX", "JP", "CN", "ZA",
}

const goldenFile = "testdata/examples.tsv"

// numberTypes are libphonenumber's types that have example numbers.
var numberTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
	phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
	phonenumbers.UAN, phonenumbers.VOICEMAIL,
}

// testCase is one input: a number as a person might write it and the
// default region it is read in.
type testCase struct{ number, region string }

// casesFor derives inputs from libphonenumber's example number of each
// type of region: international, national and IDD input, formatted and
// bare, with an extension, too short, too long, and with a changed
// leading digit (mostly invalid).
func casesFor(region string) []testCase {
	var out []testCase
	for _, typ := range numberTypes {
		ex := phonenumbers.GetExampleNumberForType(region, typ)
		if ex == nil {
			continue
		}
		cc := strconv.Itoa(int(ex.GetCountryCode()))
		nsn := phonenumbers.GetNationalSignificantNumber(ex)
		other := "DE"
		if region == "DE" {
			other = "FR"
		}
		mutated := string('0'+(nsn[0]-'0'+1)%10) + nsn[1:]
		out = append(out,
			testCase{phonenumbers.Format(ex, phonenumbers.INTERNATIONAL), other},
			testCase{"+" + cc + nsn, ""},
			testCase{phonenumbers.Format(ex, phonenumbers.NATIONAL), region},
			testCase{phonenumbers.Format(ex, phonenumbers.NATIONAL), other},
			testCase{nsn, region},
			testCase{"00" + cc + " " + nsn, "DE"},
			testCase{cc + nsn, region},
			testCase{phonenumbers.Format(ex, phonenumbers.RFC3966), ""},
			testCase{"+" + cc + " " + nsn + " ext. 12", region},
			testCase{"+" + cc + nsn[:len(nsn)-1], region},
			testCase{"+" + cc + nsn + "1", region},
			testCase{"+" + cc + nsn + "123456789", region},
			testCase{"+" + cc + mutated, region},
			testCase{nsn[:2], region},
		)
	}
	// Inputs that fail to parse, one per error class.
	return append(out,
		testCase{"+999 123456", region},
		testCase{"00 1", region},
		testCase{"7", region},
		testCase{"call me", region},
		testCase{"+49 1", region},
		testCase{strings.Repeat("1", 251), region},
	)
}

// libraryAnswer is what github.com/nyaruka/phonenumbers makes of a case:
// the E.164 number, "invalid" for a parsed number that is not valid, or
// the parse error's class.
func libraryAnswer(c testCase) string {
	n, err := phonenumbers.Parse(strings.TrimSpace(c.number), strings.ToUpper(c.region))
	switch {
	case err != nil:
		return errorClass(libraryErrors, err)
	case !phonenumbers.IsValidNumber(n):
		return "invalid"
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// ourAnswer is the same from this package.
func ourAnswer(c testCase) string {
	n, err := parse(strings.TrimSpace(c.number), strings.ToUpper(c.region))
	switch {
	case err != nil:
		return errorClass(ourErrors, err)
	case !valid(n):
		return "invalid"
	}
	e, ok := E164(c.number, c.region)
	if !ok || e != n.e164() {
		return fmt.Sprintf("E164 disagrees with parse: %q %v", e, ok)
	}
	return e
}

var (
	classes       = []string{"not-a-number", "invalid-country-code", "too-short-nsn", "too-short-after-idd", "too-long"}
	libraryErrors = []error{phonenumbers.ErrNotANumber, phonenumbers.ErrInvalidCountryCode, phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD, phonenumbers.ErrNumTooLong}
	ourErrors     = []error{errNotANumber, errInvalidCountryCode, errTooShortNSN, errTooShortAfterIDD, errTooLong}
)

func errorClass(errs []error, err error) string {
	if i := slices.IndexFunc(errs, func(e error) bool { return errors.Is(err, e) }); i >= 0 {
		return "error:" + classes[i]
	}
	return "error:unknown " + err.Error()
}

// TestGoldenExamples checks E164 against testdata/examples.tsv, generated
// (with -update) from the library's answers for libphonenumber's example
// numbers of goldenRegions.
func TestGoldenExamples(t *testing.T) {
	if *update {
		var b strings.Builder
		b.WriteString("# number\tdefault region\tE.164, invalid, or error:class (go test ./pkg/mapping/phone -update)\n")
		for _, r := range goldenRegions {
			for _, c := range casesFor(r) {
				fmt.Fprintf(&b, "%s\t%s\t%s\n", c.number, c.region, libraryAnswer(c))
			}
		}
		if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	counts := map[string]int{}
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("%s:%d: want 3 tab-separated fields, got %q", goldenFile, line, sc.Text())
		}
		c, want := testCase{f[0], f[1]}, f[2]
		if got := ourAnswer(c); got != want {
			t.Errorf("%s:%d: (%q, %q) = %s, want %s", goldenFile, line, c.number, c.region, got, want)
		}
		switch class, isErr := strings.CutPrefix(want, "error:"); {
		case isErr:
			counts[class]++
		case want == "invalid":
			counts[want]++
		default:
			counts["valid"]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// Guard against a vacuous pass: the cases must cover each outcome.
	t.Logf("outcomes: %v", counts)
	for _, k := range append([]string{"valid", "invalid"}, classes...) {
		if counts[k] < 10 {
			t.Errorf("only %d %s cases in %s", counts[k], k, goldenFile)
		}
	}
}

// TestMatchesLibrary derives the same cases for every region the library
// knows and compares this package's answer with the library's.
func TestMatchesLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("compares every region with github.com/nyaruka/phonenumbers; skipped under -short")
	}
	var regions []string
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	if len(regions) < 200 {
		t.Fatalf("the library lists only %d regions", len(regions))
	}
	n := 0
	for _, r := range regions {
		for _, c := range casesFor(r) {
			n++
			if got, want := ourAnswer(c), libraryAnswer(c); got != want {
				t.Errorf("(%q, %q) = %s, the library says %s", c.number, c.region, got, want)
			}
		}
	}
	t.Logf("%d cases over %d regions", n, len(regions))
}

// FuzzE164 compares this package with the library on any input.
func FuzzE164(f *testing.F) {
	for _, s := range []string{"+49 151 12345678", "0151 12345678", "tel:+1-415-555-2671;ext=1", "1-800-FLOWERS", "+44 (0) 20 7946 0958", "００４９１５１１２３４５６７８", "+800 1234 5678", "0049 0151 123"} {
		f.Add(s, "DE")
		f.Add(s, "US")
	}
	f.Fuzz(func(t *testing.T, number, region string) {
		if len(region) != 2 && region != "" {
			return
		}
		c := testCase{number, region}
		if got, want := ourAnswer(c), libraryAnswer(c); got != want {
			t.Errorf("(%q, %q) = %s, the library says %s", number, region, got, want)
		}
	})
}
