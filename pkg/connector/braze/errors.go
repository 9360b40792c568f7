package braze

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

// maxMessage bounds the back-end message kept in an error.
const maxMessage = 300

// CodeNonFatal marks a record Braze refused inside an accepted request.
const CodeNonFatal = "non_fatal"

// response is a Braze answer: {"message": "success" | <fatal message>,
// "errors": [...]}. Braze's pages show each error only as "<minor error
// message>"; real answers carry {"type", "input_array", "index"} objects,
// and plain strings are accepted too.
type response struct {
	message string
	errors  []itemError
}

type itemError struct {
	text  string
	array string
	index int // -1 when the error names no object
}

func parseResponse(body []byte) response {
	var raw struct {
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return response{}
	}
	out := response{message: raw.Message}
	for _, e := range raw.Errors {
		var obj struct {
			Type       string `json:"type"`
			Message    string `json:"message"`
			InputArray string `json:"input_array"`
			Index      *int   `json:"index"`
		}
		var s string
		switch {
		case json.Unmarshal(e, &obj) == nil:
			ie := itemError{text: obj.Type, array: obj.InputArray, index: -1}
			if ie.text == "" {
				ie.text = obj.Message
			}
			if obj.Index != nil {
				ie.index = *obj.Index
			}
			out.errors = append(out.errors, ie)
		case json.Unmarshal(e, &s) == nil:
			out.errors = append(out.errors, itemError{text: s, index: -1})
		default:
			out.errors = append(out.errors, itemError{text: string(bytes.TrimSpace(e)), index: -1})
		}
	}
	return out
}

// nonFatal is one record's refusal: permanent, since the same data will be
// refused again ("'email_subscribe' must be one of …").
func nonFatal(status int, text string, sent []string) *fault.Error {
	return fault.New(fault.Permanent, status, CodeNonFatal, redact.Message(text, sent, maxMessage))
}

// classify turns a failed request into a fault.Error: 429 waits until
// X-RateLimit-Reset (epoch seconds), 5xx retries, and 401 (an unknown or
// revoked REST API key: nothing to refresh) like every other 4xx is
// permanent.
func classify(status int, h http.Header, r response, sent []string, now time.Time) *fault.Error {
	parts := []string{r.message}
	for _, e := range r.errors {
		parts = append(parts, e.text)
	}
	msg := redact.Message(strings.Trim(strings.Join(parts, "; "), "; "), sent, maxMessage)
	e := fault.FromHTTP(status, h, "", msg)
	if status == http.StatusTooManyRequests {
		if d, ok := resetAfter(h, now); ok {
			e.RetryAfter = d
		}
	}
	if status == http.StatusUnauthorized {
		e.Class = fault.Permanent
		e.Message = strings.TrimPrefix(e.Message+" (check the REST API key in the secret)", " ")
	}
	return e
}

// resetAfter reads X-RateLimit-Reset, the epoch second the window resets
// (header names are case-insensitive, so HTTP/2's lower case reads too).
func resetAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("X-RateLimit-Reset"))
	if v == "" {
		return 0, false
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec <= 0 {
		return 0, false
	}
	return max(time.Unix(sec, 0).Sub(now), 0), true
}
