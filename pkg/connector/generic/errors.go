package generic

import (
	"github.com/profilesync/profilesync/pkg/redact"

	"encoding/json"
	"net/http"

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
	return fault.FromHTTP(status, h, code, redact.Message(msg, sent, maxMessage))
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
	return redact.Message(code, nil, maxMessage), msg
}
