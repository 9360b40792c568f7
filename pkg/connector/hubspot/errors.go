package hubspot

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

// Waits for HubSpot's 429 policies when the response names no delay.
// HubSpot sends no Retry-After (as far as its docs say); the rolling
// window's length comes in X-HubSpot-RateLimit-Interval-Milliseconds.
const (
	RollingRetryAfter  = 10 * time.Second // TEN_SECONDLY_ROLLING, no interval header
	SecondlyRetryAfter = time.Second      // SECONDLY (search and legacy APIs)
	// DailyRetryAfter: the daily quota resets at midnight in the portal's
	// time zone, which we do not know; an hourly retry costs one call per
	// message an hour and resumes within the hour of the reset.
	DailyRetryAfter = time.Hour
)

// apiError is HubSpot's error body, and also one item of a batch answer's
// "errors". Every field is optional in practice.
type apiError struct {
	Status        string          `json:"status"`
	Message       string          `json:"message"`
	CorrelationID string          `json:"correlationId"`
	Category      string          `json:"category"`
	SubCategory   json.RawMessage `json:"subCategory"` // a string or an object
	ErrorType     string          `json:"errorType"`   // 429: RATE_LIMIT
	PolicyName    string          `json:"policyName"`  // 429: TEN_SECONDLY_ROLLING, SECONDLY, DAILY
	Errors        []struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		In      string `json:"in"`
	} `json:"errors"`
	Context map[string]any `json:"context"`
	// ObjectWriteTraceID is not in HubSpot's documented error item; read
	// in case an item echoes it, as results do.
	ObjectWriteTraceID string `json:"objectWriteTraceId"`
}

func parseError(body []byte) apiError {
	var e apiError
	_ = json.Unmarshal(body, &e) // an HTML page from a proxy yields none
	return e
}

// code is the back-end's own code: the 429 policy, else the category.
func (e apiError) code() string {
	if e.PolicyName != "" {
		return e.PolicyName
	}
	if e.Category != "" {
		return e.Category
	}
	return e.ErrorType
}

// text joins the message and its sub-errors' codes and fields (names, not
// values), minus every value we sent, plus the correlation id HubSpot
// support asks for.
func (e apiError) text(sent []string) string {
	msg := e.Message
	for _, sub := range e.Errors {
		p := sub.Message
		if sub.Code != "" {
			p = sub.Code + ": " + p
		}
		if sub.In != "" {
			p += " [in: " + sub.In + "]"
		}
		if p != "" && !strings.Contains(msg, p) {
			msg += "; " + p
		}
	}
	msg = redact.Message(msg, sent, maxMessage)
	if e.CorrelationID != "" {
		msg += " (correlationId " + e.CorrelationID + ")"
	}
	return msg
}

// classify turns a non-2xx response into a fault.Error with the shared
// HTTP table, then HubSpot's own rules: a 429 waits as long as its policy
// says; a 401 is Permanent, as a private app's token cannot be refreshed,
// only rotated by a person; 403 (missing scopes) and 409 (conflict) are
// Permanent.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	e := parseError(body)
	fe := fault.FromHTTP(status, h, e.code(), e.text(sent))
	switch {
	case status == http.StatusTooManyRequests:
		fe.Class = fault.Throttled
		if fe.RetryAfter == 0 {
			fe.RetryAfter = rateLimitWait(e.PolicyName, h)
		}
	case status == http.StatusUnauthorized:
		fe.Class = fault.Permanent
		fe.Message = "private app token refused; rotate the secret's access_token: " + fe.Message
	}
	return fe
}

// rateLimitWait is how long a 429 of policy asks us to wait.
func rateLimitWait(policy string, h http.Header) time.Duration {
	switch policy {
	case "DAILY":
		return DailyRetryAfter
	case "SECONDLY":
		return SecondlyRetryAfter
	}
	if ms, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")), 10, 64); err == nil && ms > 0 && ms <= int64(time.Hour/time.Millisecond) {
		return time.Duration(ms) * time.Millisecond
	}
	return RollingRetryAfter
}

// transientCategories are batch item categories worth retrying alone.
var transientCategories = map[string]bool{"INTERNAL_ERROR": true, "TIMEOUT": true, "SERVICE_UNAVAILABLE": true, "BAD_GATEWAY": true}

// permanentCategories are batch item categories no retry can fix.
var permanentCategories = map[string]bool{
	"VALIDATION_ERROR": true, "CONFLICT": true, "OBJECT_NOT_FOUND": true, "OBJECT_ALREADY_EXISTS": true,
	"MISSING_SCOPES": true, "INVALID_AUTHENTICATION": true, "EXPIRED_AUTHENTICATION": true, "BAD_REQUEST": true,
}

// classifyItem turns one error item of a 207 answer into a fault.Error.
// Status is 207, the HTTP status the item came in. Unknown categories are
// Transient: the record is retried on its own, and dead-lettered once its
// attempts are spent.
func classifyItem(e apiError, sent []string) *fault.Error {
	fe := fault.New(fault.Transient, http.StatusMultiStatus, e.code(), e.text(sent))
	switch {
	case e.Category == "RATE_LIMITS":
		fe.Class, fe.RetryAfter = fault.Throttled, RollingRetryAfter
	case permanentCategories[e.Category]:
		fe.Class = fault.Permanent
	case transientCategories[e.Category]:
	}
	return fe
}

// contextStrings reads e.Context[key] as a list of strings (HubSpot puts
// the ids an item is about in context.ids).
func (e apiError) contextStrings(key string) []string {
	var out []string
	switch v := e.Context[key].(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
