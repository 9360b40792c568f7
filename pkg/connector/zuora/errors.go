package zuora

import (
	"bytes"
	"encoding/json"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// LimitRetryAfter is the wait after a 429 or a "request exceeded limit"
// code that names no reset time.
const LimitRetryAfter = 30 * time.Second

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 300

// apiBody is the part of a Zuora answer that says whether it worked: v1
// calls send {"success", "processId", "reasons": [{code, message}]}, action
// calls {"Success", "Errors": [{Code, Message}]} (JSON keys match
// case-insensitively), the gateway {"message"}. Codes arrive as numbers or
// strings.
type apiBody struct {
	Success *bool    `json:"success"`
	Reasons []reason `json:"reasons"`
	Errors  []reason `json:"Errors"`
	Message string   `json:"message"`
}

type reason struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

func parseBody(b []byte) apiBody {
	var a apiBody
	_ = json.Unmarshal(b, &a) // a proxy's page leaves a empty
	return a
}

// succeeded is false only for a body that says "success": false.
func succeeded(b []byte) bool {
	s := parseBody(b).Success
	return s == nil || *s
}

// category is the class digits of a Zuora error code: the last two of an
// eight-digit code (6-digit resource + 2-digit category), or "auth" for the
// 9xxxxxxx authentication codes such as 90000011.
func category(code string) (string, bool) {
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		return "", false
	}
	if code[0] == '9' {
		return "auth", true
	}
	return code[6:], true
}

// categoryClass maps a category to what to do. 10/11/20/21/22 are
// documented; the meaning of 30, 40, 50, 60, 61 and 70 is UNCONFIRMED
// (taken from data-loader error tables): 30 rule restriction, 40 not found,
// 50 locking contention, 60 internal error, 61 temporary error, 70 request
// exceeded limit.
func categoryClass(cat string) fault.Class {
	switch cat {
	case "11", "auth":
		return fault.Auth
	case "50", "60", "61":
		return fault.Transient
	case "70":
		return fault.Throttled
	}
	return fault.Permanent // 10, 20, 21, 22, 30, 40 and unknown categories
}

// classify turns a failed answer (non-2xx, or 2xx with success false) into
// a fault.Error carrying the first reason's code and every reason's
// message, with the values we sent removed.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	a := parseBody(body)
	reasons := append(a.Reasons, a.Errors...)
	var code string
	parts := make([]string, 0, len(reasons)+1)
	for _, r := range reasons {
		c := string(bytes.Trim(bytes.TrimSpace(r.Code), `"`))
		if code == "" {
			code = c
		}
		parts = append(parts, r.Message)
	}
	if len(parts) == 0 && a.Message != "" {
		parts = append(parts, a.Message)
	}
	msg := redact.Message(strings.Join(parts, "; "), sent, maxMessage)
	e := fault.FromHTTP(status, h, redact.Message(code, nil, 64), msg)
	cat, known := category(code)
	switch {
	case status == http.StatusTooManyRequests:
		e.Class = fault.Throttled
	case status >= 500:
		// FromHTTP said Transient (or Throttled with Retry-After).
	case status == http.StatusUnauthorized:
		e.Class = fault.Auth
	case known:
		e.Class = categoryClass(cat)
	case status == http.StatusConflict:
		e.Class = fault.Transient // a request with this Idempotency-Key is still running
	case status/100 == 2:
		e.Class = fault.Permanent // success false with a code we cannot read
	}
	if e.Class == fault.Throttled && e.RetryAfter == 0 {
		e.RetryAfter = LimitRetryAfter
		if d, ok := rateLimitReset(h); ok {
			e.RetryAfter = d
		}
	}
	return e
}

// rateLimitReset reads RateLimit-Reset, the seconds until the quota that is
// closest to exhaustion resets (IETF rate-limit headers draft).
func rateLimitReset(h http.Header) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Reset")))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// classifyToken turns a refused token request into a fault.Error. Wrong
// client credentials are a configuration problem: Permanent.
func classifyToken(status int, h http.Header, body []byte) *fault.Error {
	var te struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	_ = json.Unmarshal(body, &te)
	desc := te.Description
	if desc == "" {
		desc = te.Message
	}
	desc = redact.Message(desc, nil, maxMessage)
	if status == http.StatusTooManyRequests || status >= 500 || status == http.StatusRequestTimeout {
		return classify(status, h, body, nil)
	}
	msg := "token request refused"
	if desc != "" {
		msg += ": " + desc
	}
	return fault.New(fault.Permanent, status, te.Error, msg+" (check client_id and client_secret)")
}
