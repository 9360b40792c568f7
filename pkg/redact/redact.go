// Package redact takes personal data out of texts that others write and
// we log or keep: back-end error messages (connectors), expression errors
// (pkg/mapping), transport errors with URLs. It imports nothing of ours.
package redact

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/profilesync/profilesync/internal/lazyregexp"
)

// Back-ends quote the values they refused ("invalid email: jane@…"), often
// in another case or format than we sent them (OLGA@EXAMPLE.COM, 0151 …
// for +49151…), and their messages end up in logs and DLQ reasons, so
// connectors pass them through Message with the values they sent.

// SentValues lists the scalar values in fields and the extra strings,
// longest first, for Message.
func SentValues(fields map[string]any, extra ...string) []string {
	out := append([]string(nil), extra...)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case nil, bool:
		case string:
			out = append(out, x)
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case []string:
			out = append(out, x...)
		default:
			out = append(out, fmt.Sprint(x))
		}
	}
	walk(fields)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// emailRE matches any e-mail-shaped token, sent or not: a back-end may
// quote an address from its own records.
var emailRE = lazyregexp.New(`(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)

// digitRunRE matches a run of digits in phone formatting: spaces, dashes,
// dots, slashes and parentheses between them, an optional + in front.
var digitRunRE = lazyregexp.New(`\+?\(?\d[\d\s().\-/]*\d`)

// phoneTail is how many trailing digits identify a phone number: enough
// to be that number, few enough that +49 151… and 0151… agree.
const phoneTail = 8

// Message removes personal data from a back-end's message: every e-mail
// address; every sent value of three or more bytes in any case (spaces in
// it matching any run of whitespace); and every sent phone number in any
// formatting, matched on its last phoneTail digits. Then it cuts msg to at
// most max bytes on a rune boundary.
func Message(msg string, sent []string, max int) string {
	msg = emailRE.ReplaceAllString(msg, redacted)
	var tails []string
	for _, v := range sent {
		if t, ok := phoneDigits(v); ok {
			tails = append(tails, t)
		}
	}
	if len(tails) > 0 {
		msg = digitRunRE.ReplaceAllStringFunc(msg, func(run string) string {
			d := digits(run)
			for _, t := range tails {
				if len(d) >= phoneTail && strings.HasSuffix(d, t) {
					return redacted
				}
			}
			return run
		})
	}
	for _, v := range sent {
		if len(strings.TrimSpace(v)) < 3 {
			continue
		}
		words := strings.Fields(v)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		re, err := regexp.Compile(`(?i)` + strings.Join(words, `\s+`))
		if err != nil {
			continue
		}
		msg = re.ReplaceAllString(msg, redacted)
	}
	if len(msg) <= max {
		return msg
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

const redacted = "[redacted]"

// phoneDigits is the last phoneTail digits of v when v reads as a phone
// number: only digits and phone punctuation, at least phoneTail digits.
func phoneDigits(v string) (string, bool) {
	if strings.Trim(v, "+0123456789 ()-./") != "" {
		return "", false
	}
	d := digits(v)
	if len(d) < phoneTail {
		return "", false
	}
	return d[len(d)-phoneTail:], true
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// URLError keeps a transport error but not its URL, which holds the
// record key and may hold credentials in userinfo.
func URLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
