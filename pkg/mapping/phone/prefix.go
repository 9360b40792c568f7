package phone

// The calling code, international (IDD) and national prefixes, and the
// length test, ported from the library as parse.go says.

import (
	"strconv"
	"strings"
)

// maybeExtractCountryCode returns the calling code found (0 for none) and
// the national number after it ("" when none was found).
func maybeExtractCountryCode(s string, meta *region) (int, string, error) {
	if s == "" {
		return 0, "", nil
	}
	idd := "NonMatch" // never matches
	if meta != nil {
		idd = meta.intlPrefix
	}
	full, fromDefault := maybeStripInternationalPrefixAndNormalize(s, idd)
	if !fromDefault {
		if len(full) <= minLengthForNSN {
			return 0, "", errTooShortAfterIDD
		}
		if cc, rest := extractCountryCode(full); cc != 0 {
			return cc, rest, nil
		}
		return 0, "", errInvalidCountryCode
	}
	if meta != nil {
		// A number starting with the default region's calling code
		// (without + or IDD) loses it when that makes it valid, or when
		// it was too long with it.
		ccs := strconv.Itoa(meta.cc)
		if rest, ok := strings.CutPrefix(full, ccs); ok {
			valid := regexFor("^(?:" + meta.general.pattern + ")$")
			potential, _ := maybeStripNationalPrefix(rest, meta)
			if (!valid.MatchString(full) && valid.MatchString(potential)) || testNumberLength(full, meta) == tooLong {
				return meta.cc, potential, nil
			}
		}
	}
	return 0, "", nil
}

// maybeStripInternationalPrefixAndNormalize removes a leading + or the
// region's IDD and normalises; fromDefault is false when one was there.
func maybeStripInternationalPrefixAndNormalize(s, iddPattern string) (_ string, fromDefault bool) {
	if s == "" {
		return s, true
	}
	if ind := patterns().plusChars.FindStringIndex(s); ind != nil && ind[0] == 0 {
		return normalize(s[ind[1]:]), false
	}
	s = normalize(s)
	ind := regexFor(iddPattern).FindStringIndex(s)
	if ind == nil || ind[0] != 0 {
		return s, true
	}
	// Only an IDD followed by something other than 0: calling codes do
	// not start with 0.
	if d := patterns().capturingDigit.FindString(s[ind[1]:]); d != "" && normalizeDigitsOnly(d) == "0" {
		return s, true
	}
	return s[ind[1]:], false
}

func extractCountryCode(full string) (int, string) {
	if full == "" || full[0] == '0' {
		return 0, ""
	}
	for i := 1; i <= maxLengthCountryCode && i <= len(full); i++ {
		cc, _ := strconv.Atoi(full[:i])
		if regionsFor(cc) != nil {
			return cc, full[i:]
		}
	}
	return 0, ""
}

// maybeStripNationalPrefix is maybeStripNationalPrefixAndCarrierCode
// without the carrier code, which E.164 does not keep.
func maybeStripNationalPrefix(s string, meta *region) (string, bool) {
	if s == "" || meta.npParsing == "" {
		return s, false
	}
	prefix := regexFor("^(?:" + meta.npParsing + ")")
	if !prefix.MatchString(s) {
		return s, false
	}
	rule := regexFor("^(?:" + meta.general.pattern + ")$")
	viable := rule.MatchString(s)
	groups := prefix.FindStringSubmatchIndex(s)
	last := len(groups)/2 - 1
	if meta.npTransform == "" || groups[last*2] < 0 {
		if viable && !rule.MatchString(s[groups[1]:]) {
			return s, false
		}
		return s[groups[1]:], true
	}
	transformed := prefix.ReplaceAllString(s, meta.npTransform)
	if viable && !rule.MatchString(transformed) {
		return s, false
	}
	return transformed, true
}

type lengthResult int

const (
	isPossible lengthResult = iota
	possibleLocalOnly
	tooShort
	invalidLength
	tooLong
)

// testNumberLength is the library's for the UNKNOWN type: the general
// description's lengths.
func testNumberLength(s string, meta *region) lengthResult {
	possible := meta.general.lengths
	if possible[0] == -1 {
		return invalidLength
	}
	n := len(s)
	for _, l := range meta.general.localOnly {
		if int(l) == n {
			return possibleLocalOnly
		}
	}
	switch {
	case int(possible[0]) == n:
		return isPossible
	case int(possible[0]) > n:
		return tooShort
	case int(possible[len(possible)-1]) < n:
		return tooLong
	}
	for _, l := range possible[1:] {
		if int(l) == n {
			return isPossible
		}
	}
	return invalidLength
}
