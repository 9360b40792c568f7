package phone

// Digit normalisation, ported from the library as parse.go says.

import (
	"strings"
	"unicode"
)

// normalize converts a vanity number's letters to digits (three or more
// letters) or else keeps only the digits, as ASCII.
func normalize(s string) string {
	if patterns().validAlphaPhone.MatchString(s) {
		var b strings.Builder
		for _, c := range s {
			c = unicode.ToUpper(c)
			switch {
			case c >= '0' && c <= '9', c == '+', c == '*':
				b.WriteRune(c)
			case c >= 'A' && c <= 'Z':
				b.WriteByte(alphaKeys[c-'A'])
			}
		}
		return b.String()
	}
	return normalizeDigitsOnly(s)
}

// alphaKeys are the E.161 keypad digits of A to Z.
const alphaKeys = "22233344455566677778889999"

// normalizeDigitsOnly keeps the decimal digits, converting the
// Arabic-Indic, extended Arabic-Indic and full-width ones to ASCII (other
// scripts' digits are kept as they are, as the library does).
func normalizeDigitsOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		if !unicode.IsDigit(c) {
			continue
		}
		switch {
		case c >= '\u0660' && c <= '\u0669':
			c = '0' + c - '\u0660'
		case c >= '\u06F0' && c <= '\u06F9':
			c = '0' + c - '\u06F0'
		case c >= '\uFF10' && c <= '\uFF19':
			c = '0' + c - '\uFF10'
		}
		b.WriteRune(c)
	}
	return b.String()
}
