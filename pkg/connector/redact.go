package connector

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Back-ends quote the values they refused ("invalid email: jane@…"), and
// their messages end up in logs and DLQ reasons, so connectors pass them
// through Redact with the values they sent.

// SentValues lists the scalar values in fields and the extra strings,
// longest first, for Redact.
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

// Redact removes every sent value of three or more bytes from msg (sent
// longest first, so a value inside another is not left half-removed), then
// cuts it to at most max bytes on a rune boundary.
func Redact(msg string, sent []string, max int) string {
	for _, v := range sent {
		if len(v) >= 3 {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
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

// RedactURLError keeps a transport error but not its URL, which holds the
// record key and may hold credentials in userinfo.
func RedactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
