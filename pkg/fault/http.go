package fault

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPClass is the one status table for HTTP back-ends: 408, 429 and 5xx
// retry, 401 asks for fresh credentials, every other 4xx is permanent. A
// connector that knows better (Salesforce's 403 REQUEST_LIMIT_EXCEEDED, say)
// overrides the class after calling FromHTTP.
func HTTPClass(status int) Class {
	switch {
	case status == http.StatusTooManyRequests:
		return Throttled
	case status == http.StatusRequestTimeout, status >= 500:
		return Transient
	case status == http.StatusUnauthorized:
		return Auth
	case status >= 400:
		return Permanent
	case status >= 300:
		// A redirect from an API means a wrong endpoint, not a blip.
		return Permanent
	}
	return Transient
}

// FromHTTP classifies a non-2xx response. code and msg are the back-end's
// own error code and message, parsed by the connector from its body.
func FromHTTP(status int, h http.Header, code, msg string) *Error {
	e := &Error{Class: HTTPClass(status), Status: status, Code: code, Message: msg}
	if d, ok := RetryAfter(h, time.Now()); ok {
		e.RetryAfter = d
		if e.Class == Transient {
			e.Class = Throttled // 503 with Retry-After is a throttle
		}
	}
	return e
}

// RetryAfter parses a Retry-After header (delta seconds or HTTP date).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
