package mailchimp

import (
	"encoding/json"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// ThrottleRetryAfter is the wait after a 429. Mailchimp's limit is 10
// simultaneous connections, not a quota window, and it sends no reset
// header, so a short pause (while other connections finish) is enough.
const ThrottleRetryAfter = 2 * time.Second

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 300

// problem is Mailchimp's application/problem+json error body (RFC 7807),
// with per-field errors on validation failures.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// classify turns a non-2xx answer into a fault.Error whose code is the
// problem's title ("Member In Compliance State", "Invalid Resource", …) and
// whose message is its detail and field errors, with every value we sent
// removed: Mailchimp quotes the address it refused.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	var p problem
	_ = json.Unmarshal(body, &p) // a proxy's page leaves p empty
	parts := []string{p.Detail}
	for _, fe := range p.Errors {
		parts = append(parts, fe.Field+": "+fe.Message)
	}
	msg := redact.Message(strings.Trim(strings.Join(parts, "; "), "; "), sent, maxMessage)
	e := fault.FromHTTP(status, h, redact.Message(p.Title, sent, 100), msg)
	switch {
	case status == http.StatusUnauthorized:
		// An API key is not refreshed: a revoked key or a wrong data
		// centre needs a person to fix the secret.
		e.Class = fault.Permanent
		e.Message = strings.TrimPrefix(e.Message+" (check the api_key and its data centre)", " ")
	case status == http.StatusTooManyRequests && e.RetryAfter == 0:
		e.RetryAfter = ThrottleRetryAfter
	}
	return e
}
