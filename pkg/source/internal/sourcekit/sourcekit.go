// Package sourcekit holds the little that every source adapter shares:
// field errors and URL checks for what a secret's spec (pkg/spec) cannot
// check, and bounded reads of HTTP bodies. It knows nothing about any one platform.
package sourcekit

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// MaxBody bounds every response body an adapter reads from a CIAM.
const MaxBody = 1 << 20

// DefaultTimeout is used when a constructor is given no *http.Client.
const DefaultTimeout = 10 * time.Second

// FieldError names the config field at fault.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Problem) }

// Field returns a *FieldError.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Required reports an empty value as a missing field.
func Required(field, value string) error {
	if value == "" {
		return Field(field, "required")
	}
	return nil
}

// HTTPURL checks that value is an absolute http(s) URL with a host. http is
// allowed so the local stack can point at the sandbox fakes.
func HTTPURL(field, value string) error {
	if value == "" {
		return Field(field, "required")
	}
	u, err := url.Parse(value)
	if err != nil {
		return Field(field, "not a URL: %v", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Field(field, "want an absolute http(s) URL, got %q", value)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Field(field, "must not carry a query or fragment")
	}
	return nil
}

// Client returns hc, or a client with DefaultTimeout when hc is nil.
func Client(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// ReadBody reads at most MaxBody bytes of resp.Body and closes it.
func ReadBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("response body over %d bytes", MaxBody)
	}
	return b, nil
}

// JSONTime returns t in UTC when JSON (RFC 3339, years up to 9999) can
// carry it on in the queue's envelope. Adapters ignore a timestamp it
// refuses, as they ignore an unreadable one, rather than make an authentic
// event impossible to enqueue.
func JSONTime(t time.Time) (time.Time, bool) {
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}
