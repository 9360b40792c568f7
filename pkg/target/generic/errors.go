package generic

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 200

// classify turns a non-2xx response into a fault.Error with the shared HTTP
// table (408/429/5xx retry, Retry-After honoured, 401 auth, other 4xx
// permanent). The message comes from the body only when it is a JSON object
// with an "error" or "message" field, and loses any value we sent: a plain
// body may be a proxy's page, or an echo of our payload.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	code, msg := parseError(body)
	return fault.FromHTTP(status, h, code, redact(msg, sent))
}

// parseError reads {"error": "...", "message": "..."}, or
// {"error": {"code": "...", "message": "..."}}.
func parseError(body []byte) (code, msg string) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	msg, _ = m["message"].(string)
	switch e := m["error"].(type) {
	case string:
		if msg == "" {
			msg = e
		} else {
			code = e
		}
	case map[string]any:
		code, _ = e["code"].(string)
		if s, ok := e["message"].(string); ok && msg == "" {
			msg = s
		}
	}
	if c, ok := m["code"].(string); ok && code == "" {
		code = c
	}
	return truncate(code), msg
}

// redact removes every sent value of three or more bytes from msg (sent is
// longest first), then truncates it.
func redact(msg string, sent []string) string {
	for _, v := range sent {
		if len(v) >= 3 {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	return truncate(msg)
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sentValues lists the scalar values in fields and the extra strings,
// longest first, for redact.
func sentValues(fields map[string]any, extra ...string) []string {
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
