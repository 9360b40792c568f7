package salesforce

import (
	"github.com/profilesync/profilesync/pkg/redact"

	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// LimitRetryAfter is how long to wait after REQUEST_LIMIT_EXCEEDED when the
// response names no delay. Salesforce signals both its rolling 24-hour
// allocation and its concurrent long-request cap this way, with neither a
// 429 nor a Retry-After, so a short backoff would only burn more quota.
const LimitRetryAfter = 5 * time.Minute

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 300

// apiError is one element of the JSON array Salesforce REST answers errors
// with: [{"message": "...", "errorCode": "...", "fields": ["..."]}].
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// Salesforce error codes the client acts on.
const (
	codeInvalidSession = "INVALID_SESSION_ID"
	codeLimitExceeded  = "REQUEST_LIMIT_EXCEEDED"
	codeLockRow        = "UNABLE_TO_LOCK_ROW"
	codeNotFound       = "NOT_FOUND"
	codeEntityDeleted  = "ENTITY_IS_DELETED"
)

// parseErrors reads an error body; anything that is not the documented array
// (an HTML page from a proxy, say) yields none.
func parseErrors(body []byte) []apiError {
	var errs []apiError
	if json.Unmarshal(body, &errs) != nil {
		var one apiError // a few endpoints answer with a single object
		if json.Unmarshal(body, &one) != nil || one.ErrorCode == "" {
			return nil
		}
		errs = []apiError{one}
	}
	return errs
}

// classify turns a non-2xx data API response into a fault.Error. sent holds
// the values we sent, which are removed from the back-end's message: it
// quotes bad values back ("data value too large: <value>").
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	errs := parseErrors(body)
	code, msg := summarize(errs)
	msg = redact.Message(msg, sent, maxMessage)
	if status == http.StatusMultipleChoices {
		return fault.New(fault.Permanent, status, "MULTIPLE_CHOICES",
			fmt.Sprintf("the external id matched %d records; de-duplicate them in Salesforce", countMatches(body)))
	}
	e := fault.FromHTTP(status, h, code, msg)
	switch {
	case status == http.StatusUnauthorized:
		e.Class = fault.Auth
	case hasCode(errs, codeLimitExceeded):
		e.Class = fault.Throttled
		if e.RetryAfter == 0 {
			e.RetryAfter = LimitRetryAfter
		}
	case isLockContention(errs):
		e.Class = fault.Transient
		e.Code = codeLockRow
	}
	return e
}

// summarize picks the first error's code and joins the messages, each
// followed by the fields it names (field names are schema, not data).
func summarize(errs []apiError) (code, msg string) {
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		if code == "" {
			code = e.ErrorCode
		}
		p := e.Message
		if len(e.Fields) > 0 {
			p += " [fields: " + strings.Join(e.Fields, ", ") + "]"
		}
		if e.ErrorCode != "" && e.ErrorCode != code {
			p = e.ErrorCode + ": " + p
		}
		parts = append(parts, p)
	}
	return code, strings.Join(parts, "; ")
}

func hasCode(errs []apiError, code string) bool {
	for _, e := range errs {
		if e.ErrorCode == code {
			return true
		}
	}
	return false
}

// isLockContention spots UNABLE_TO_LOCK_ROW, also when a trigger or flow
// failed on it and Salesforce wrapped it in CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY.
func isLockContention(errs []apiError) bool {
	for _, e := range errs {
		if e.ErrorCode == codeLockRow || strings.Contains(e.Message, codeLockRow) {
			return true
		}
	}
	return false
}

// countMatches reads a 300 body: a JSON array of the matching records' URLs.
func countMatches(body []byte) int {
	var urls []string
	if json.Unmarshal(body, &urls) != nil {
		return 0
	}
	return len(urls)
}

// tokenError is the OAuth token endpoint's error body.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// classifyToken turns a failed token request into a fault.Error. A refused
// client (invalid_client, invalid_grant: a wrong secret, a disabled client
// credentials flow, no run-as user) is a configuration problem no retry or
// refresh can fix, so it is Permanent.
func classifyToken(status int, h http.Header, body []byte) *fault.Error {
	var te tokenError
	_ = json.Unmarshal(body, &te)
	desc := redact.Message(te.Description, nil, maxMessage)
	switch {
	case te.Error == "rate_limit_exceeded":
		e := fault.FromHTTP(status, h, te.Error, desc)
		e.Class = fault.Throttled
		if e.RetryAfter == 0 {
			e.RetryAfter = LimitRetryAfter
		}
		return e
	case status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		return fault.FromHTTP(status, h, te.Error, desc)
	}
	msg := "token request refused"
	if desc != "" {
		msg += ": " + desc
	}
	return fault.New(fault.Permanent, status, te.Error, msg+" (check the connected app and the secret)")
}
