package brevo

import (
	"encoding/json"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 300

// DefaultRetryAfter is the wait after a 429 without x-sib-ratelimit-reset.
const DefaultRetryAfter = 10 * time.Second

// Brevo error codes the client acts on.
const (
	codeNotFound  = "document_not_found"
	codeDuplicate = "duplicate_parameter"
)

// apiError is Brevo's error body: {"code": "...", "message": "..."} with
// an optional "metadata" (duplicate_identifiers on duplicate_parameter).
type apiError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Metadata struct {
		DuplicateIdentifiers []string `json:"duplicate_identifiers"`
	} `json:"metadata"`
}

func parseError(body []byte) apiError {
	var e apiError
	_ = json.Unmarshal(body, &e) // an HTML page from a proxy yields none
	return e
}

// classify turns a non-2xx response into a fault.Error with the shared
// HTTP table, then Brevo's: a 429 waits x-sib-ratelimit-reset (Brevo sends
// no Retry-After); a 401 is Permanent, as an API key cannot be refreshed,
// only replaced by a person. 402 not_enough_credits, 403
// permission_denied / account_under_validation and 405 are Permanent
// through the table.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	e := parseError(body)
	msg := e.Message
	if ids := e.Metadata.DuplicateIdentifiers; len(ids) > 0 {
		msg += " [duplicate: " + strings.Join(ids, ", ") + "]"
	}
	fe := fault.FromHTTP(status, h, e.Code, redact.Message(msg, sent, maxMessage))
	switch status {
	case http.StatusTooManyRequests:
		fe.Class = fault.Throttled
		if fe.RetryAfter == 0 {
			fe.RetryAfter = resetAfter(h)
		}
	case http.StatusUnauthorized:
		fe.Class = fault.Permanent
		fe.Message = "API key refused; replace the secret's api_key: " + fe.Message
	}
	return fe
}

// resetAfter reads x-sib-ratelimit-reset: the time left until the window
// resets, in seconds (fractions allowed).
func resetAfter(h http.Header) time.Duration {
	s, err := strconv.ParseFloat(strings.TrimSpace(h.Get("x-sib-ratelimit-reset")), 64)
	if err != nil || s <= 0 || s > 24*3600 {
		return DefaultRetryAfter
	}
	return time.Duration(s * float64(time.Second))
}
