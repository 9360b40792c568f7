package phone

// This file, prefix.go, normalize.go and valid.go port the part of
// github.com/nyaruka/phonenumbers (MIT licence, LICENSE.phonenumbers;
// itself a port of Google's libphonenumber, Apache 2.0) that Parse,
// IsValidNumber and Format(E164) run, onto the tables in metadata_gen.go:
// the same steps in the same order, with the library's names, so that
// E164 answers as the library does. What the library does beyond that
// (formatting, geocoding, carrier and time zone data, the protobuf types)
// is not here; its package-level patterns are compiled on first use
// instead of at start.

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

const (
	minLengthForNSN       = 2
	maxLengthForNSN       = 17
	maxLengthCountryCode  = 3
	maxInputStringLength  = 250
	plusChars             = "+\uFF0B"
	digits                = "\\p{Nd}"
	validAlpha            = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	rfc3966ExtnPrefix     = ";ext="
	rfc3966Prefix         = "tel:"
	rfc3966PhoneContext   = ";phone-context="
	rfc3966IsdnSubaddress = ";isub="
	validPunctuation      = "-x\u2010-\u2015\u2212\u30FC\uFF0D-\uFF0F " +
		"\u00A0\u00AD\u200B\u2060\u3000()\uFF08\uFF09\uFF3B\uFF3D." +
		"\\[\\]/~\u2053\u223C\uFF5E"
	capturingExtnDigits    = "(" + digits + "{1,7})"
	extnPatternsForParsing = rfc3966ExtnPrefix + capturingExtnDigits + "|" + "[ \u00A0\\t,]*" +
		"(?:e?xt(?:ensi(?:o\u0301?|\u00F3))?n?|\uFF45?\uFF58\uFF54\uFF4E?|" +
		"[;,x\uFF58#\uFF03~\uFF5E]|int|anexo|\uFF49\uFF4E\uFF54)" +
		"[:\\.\uFF0E]?[ \u00A0\\t,-]*" + capturingExtnDigits + "#?|" +
		"[- ]+(" + digits + "{1,5})#"
	validPhoneNumber = digits + "{2}|" +
		"[" + plusChars + "]*(?:[" + validPunctuation + "*]*" + digits + "){3,}[" +
		validPunctuation + "*" + validAlpha + digits + "]*"
	alphanum           = validAlpha + digits
	rfc3966PhoneDigit  = "(" + digits + "|[\\-\\.\\(\\)]?)"
	rfc3966DomainLabel = "[" + alphanum + "]+((\\-)*[" + alphanum + "])*"
	rfc3966TopLabel    = "[" + validAlpha + "]+((\\-)*[" + alphanum + "])*"
)

// sharedPatterns are the library's package-level expressions.
type sharedPatterns struct {
	plusChars, capturingDigit, validStartChar, secondNumberStart, unwantedEndChar,
	validAlphaPhone, extn, validPhoneNumber, rfc3966GlobalNumberDigits, rfc3966DomainName *regexp.Regexp
}

// patterns compiles them on the first parse rather than at every cold
// start.
var patterns = sync.OnceValue(func() *sharedPatterns {
	return &sharedPatterns{
		plusChars:                 regexp.MustCompile("[" + plusChars + "]+"),
		capturingDigit:            regexp.MustCompile("(" + digits + ")"),
		validStartChar:            regexp.MustCompile("[" + plusChars + digits + "]"),
		secondNumberStart:         regexp.MustCompile("[\\\\/] *x"),
		unwantedEndChar:           regexp.MustCompile("[[\\P{N}&&\\P{L}]&&[^#]]+$"),
		validAlphaPhone:           regexp.MustCompile("^(?:.*?[A-Za-z]){3}.*$"),
		extn:                      regexp.MustCompile("(?:" + extnPatternsForParsing + ")$"),
		validPhoneNumber:          regexp.MustCompile("^(" + validPhoneNumber + "(?:" + extnPatternsForParsing + ")?)$"),
		rfc3966GlobalNumberDigits: regexp.MustCompile("^\\+" + rfc3966PhoneDigit + "*" + digits + rfc3966PhoneDigit + "*$"),
		rfc3966DomainName:         regexp.MustCompile("^(" + rfc3966DomainLabel + "\\.)*" + rfc3966TopLabel + "\\.?$"),
	}
})

// The library's parse errors, one per class of failure.
var (
	errNotANumber         = errors.New("not a number")
	errInvalidCountryCode = errors.New("invalid country code")
	errTooShortNSN        = errors.New("too short to be a phone number")
	errTooShortAfterIDD   = errors.New("too short after the international prefix")
	errTooLong            = errors.New("too long to be a phone number")
)

// number is the part of the library's PhoneNumber that E.164 formatting
// and validation read.
type number struct {
	cc           int
	national     uint64
	leadingZeros int // 0, or the count of Italian leading zeros
}

// nsn is GetNationalSignificantNumber.
func (n number) nsn() string {
	return strings.Repeat("0", n.leadingZeros) + strconv.FormatUint(n.national, 10)
}

// e164 is Format(n, E164).
func (n number) e164() string { return "+" + strconv.Itoa(n.cc) + n.nsn() }

// parse is parseHelper with checkRegion set and no raw input kept.
func parse(toParse, defaultRegion string) (number, error) {
	var n number
	if len(toParse) == 0 {
		return n, errNotANumber
	} else if len(toParse) > maxInputStringLength {
		return n, errTooLong
	}
	national, err := buildNationalNumberForParsing(toParse)
	if err != nil {
		return n, err
	}
	if !isViablePhoneNumber(national) {
		return n, errNotANumber
	}
	if !checkRegionForParsing(national, defaultRegion) {
		return n, errInvalidCountryCode
	}
	national = stripExtension(national)
	meta := regionFor(defaultRegion)
	cc, normalized, err := maybeExtractCountryCode(national, meta)
	if err != nil {
		ind := patterns().plusChars.FindStringIndex(national)
		if err != errInvalidCountryCode || ind == nil {
			return n, err
		}
		// Strip the plus-char, and try again.
		cc, normalized, err = maybeExtractCountryCode(national[ind[1]:], meta)
		if err != nil {
			return n, err
		} else if cc == 0 {
			return n, errInvalidCountryCode
		}
	}
	if cc != 0 {
		if r := regionForCC(cc); r != defaultRegion {
			meta = metadataFor(cc, r)
		}
	} else {
		normalized = normalize(national)
		if meta != nil { // the library reads a missing region's code as 0
			cc = meta.cc
		}
	}
	n.cc = cc
	if len(normalized) < minLengthForNSN {
		return n, errTooShortNSN
	}
	if meta != nil {
		potential, _ := maybeStripNationalPrefix(normalized, meta)
		// The number left after stripping the national prefix must be
		// of a possible length; otherwise the original could be a valid
		// short number.
		switch testNumberLength(potential, meta) {
		case tooShort, possibleLocalOnly, invalidLength:
		default:
			normalized = potential
		}
	}
	if len(normalized) < minLengthForNSN {
		return n, errTooShortNSN
	}
	if len(normalized) > maxLengthForNSN {
		return n, errTooLong
	}
	if len(normalized) > 1 && normalized[0] == '0' {
		// Italian leading zeros; an all-zero number keeps its last one.
		z := 1
		for z < len(normalized)-1 && normalized[z] == '0' {
			z++
		}
		n.leadingZeros = z
	}
	n.national, _ = strconv.ParseUint(normalized, 10, 64)
	return n, nil
}

// regionForCC is GetRegionCodeForCountryCode.
func regionForCC(cc int) string {
	if rs := regionsFor(cc); len(rs) > 0 {
		return rs[0]
	}
	return "ZZ"
}

func buildNationalNumberForParsing(toParse string) (string, error) {
	var national string
	i := strings.Index(toParse, rfc3966PhoneContext)
	context := extractPhoneContext(toParse, i)
	if i >= 0 && !isPhoneContextValid(context) {
		return "", errNotANumber
	}
	if i > 0 {
		// A phone-context that is a number prefix is part of the number;
		// a domain name is ignored.
		if context[0] == '+' {
			national = context
		}
		start := 0
		if p := strings.Index(toParse, rfc3966Prefix); p >= 0 {
			start = p + len(rfc3966Prefix)
		}
		national += toParse[start:i]
	} else {
		national = extractPossibleNumber(toParse)
	}
	if j := strings.Index(national, rfc3966IsdnSubaddress); j > 0 {
		national = national[:j]
	}
	return national, nil
}

func extractPhoneContext(s string, i int) string {
	if i == -1 {
		return ""
	}
	start := i + len(rfc3966PhoneContext)
	if start >= len(s) {
		return ""
	}
	if end := strings.IndexRune(s[start:], ';'); end != -1 {
		return s[start : start+end]
	}
	return s[start:]
}

func isPhoneContextValid(context string) bool {
	if context == "" {
		return false
	}
	p := patterns()
	return p.rfc3966GlobalNumberDigits.MatchString(context) || p.rfc3966DomainName.MatchString(context)
}

func extractPossibleNumber(s string) string {
	p := patterns()
	ind := p.validStartChar.FindStringIndex(s)
	if ind == nil {
		return ""
	}
	s = s[ind[0]:]
	if ind := p.unwantedEndChar.FindStringIndex(s); ind != nil {
		s = s[:ind[0]]
	}
	if ind := p.secondNumberStart.FindStringIndex(s); ind != nil {
		s = s[:ind[0]]
	}
	return s
}

func isViablePhoneNumber(s string) bool {
	return len(s) >= minLengthForNSN && patterns().validPhoneNumber.MatchString(s)
}

func checkRegionForParsing(s, defaultRegion string) bool {
	return regionFor(defaultRegion) != nil || (s != "" && patterns().plusChars.MatchString(s))
}

// stripExtension is maybeStripExtension: E.164 has no extension, so it
// only removes one.
func stripExtension(s string) string {
	extn := patterns().extn
	ind := extn.FindStringIndex(s)
	if ind == nil || !isViablePhoneNumber(s[:ind[0]]) {
		return s
	}
	for _, ext := range extn.FindStringSubmatch(s)[1:] {
		if ext != "" {
			return s[:ind[0]]
		}
	}
	return s
}
