package salesforce

import (
	"fmt"
	"strings"
)

// QuoteSOQL returns s as a SOQL string literal, quotes included, escaped
// as Salesforce's "Quoted String Escape Sequences" list them: backslash,
// both quotes, \n \r \t \b \f, and every other control character as
// \uXXXX, so no value can end the literal early or change the query
// around it. % and _ are left alone: they are wildcards only inside LIKE,
// and escaping them elsewhere is an error (see QuoteSOQLLike).
func QuoteSOQL(s string) string { return quote(s, false) }

// QuoteSOQLLike is QuoteSOQL for the right-hand side of LIKE: it also
// escapes % and _, so the value matches itself and nothing more. Add
// wildcards around the result's content yourself if you want a prefix
// match, e.g. "'" + strings.Trim(QuoteSOQLLike(v), "'") + "%'".
func QuoteSOQLLike(s string) string { return quote(s, true) }

func quote(s string, like bool) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '%', '_':
			if like {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// soqlLiterals returns the contents of the string literals in soql, raw
// (still escaped) and unescaped, so an error message that quotes part of
// the query can have them removed: they are the values the caller put in.
func soqlLiterals(soql string) []string {
	var out []string
	for i := 0; i < len(soql); i++ {
		if soql[i] != '\'' {
			continue
		}
		j := i + 1
		for j < len(soql) && soql[j] != '\'' {
			if soql[j] == '\\' {
				j++
			}
			j++
		}
		if j > len(soql) {
			j = len(soql)
		}
		raw := soql[i+1 : j]
		if raw != "" {
			out = append(out, raw, unescapeLoose(raw))
		}
		i = j
	}
	return out
}

// unescapeLoose undoes QuoteSOQL's escapes well enough to find a value in
// a message; it never fails.
func unescapeLoose(raw string) string {
	r := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`, `\n`, "\n", `\r`, "\r", `\t`, "\t", `\b`, "\b", `\f`, "\f", `\%`, "%", `\_`, "_")
	return r.Replace(raw)
}
