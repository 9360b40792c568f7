// Package sourcekit holds the little that every source adapter shares:
// field errors and URL checks for what a secret's spec (pkg/spec) cannot
// check, and bounded reads of HTTP bodies. It knows nothing about any one platform.
package sourcekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
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

// CheckEgress checks a URL the secret names against the egress policy of
// hc, the client that will call it (egress.PolicyOf): plain http or a
// private, loopback or link-local address fails when the source is built.
// An empty value is skipped.
func CheckEgress(hc *http.Client, field, value string) error {
	if value == "" {
		return nil
	}
	if err := egress.CheckURL(hc, value); err != nil {
		return Field(field, "%v", err)
	}
	return nil
}

// TransportError classifies a call that got no answer: Transient, unless
// err already carries a class (the egress guard's refusals are
// Permanent). The URL, which holds the subject, is dropped.
func TransportError(what string, err error) error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fault.Wrap(fe.Class, fmt.Errorf("%s: %w", what, fe.Err))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return fault.Wrap(fault.Transient, fmt.Errorf("%s: %w", what, err))
}

// Client returns hc, or egress.Production's client with DefaultTimeout
// when hc is nil.
func Client(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return egress.Client(egress.Production, DefaultTimeout)
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

// CheckEvents returns an error naming, by its index, the first of evs that
// profile.Event.Validate refuses: an id or subject of invalid UTF-8 (or
// the U+FFFD encoding/json makes of it), a zero time. A Parser returns it
// as ErrMalformed rather than hand the ingress an event it refuses: the
// decoder's contract. Validate names the field, never its value.
func CheckEvents(evs []profile.Event) error {
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}

// Get sends a GET for JSON to u with the headers h (Authorization and the
// like) and returns the answer's status, headers and body. An answer that
// never came, or could not be read, is classified by TransportError under
// what ("okta get user"), so an egress refusal stays permanent; any status
// is the caller's to classify.
func Get(ctx context.Context, hc *http.Client, what, u string, h http.Header) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, fault.New(fault.Permanent, 0, "", what+": bad URL")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	resp, err := Client(hc).Do(req)
	if err != nil {
		return 0, nil, nil, TransportError(what, err)
	}
	body, err := ReadBody(resp)
	if err != nil {
		return 0, nil, nil, TransportError(what, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// Bearer is the Authorization header of a bearer token.
func Bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
