// Package fault classifies what went wrong when ProfileSync called another
// system (a back-end, or a CIAM's profile API), so the delivery layer
// decides retries from a class and never from error strings.
//
// Connectors classify once, at their boundary, with FromHTTP or New; every
// error that carries no class counts as Transient (a network error, say).
package fault

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Class is what a caller should do about an error.
type Class int

const (
	// Transient: retry later with backoff (5xx, 408, network errors).
	Transient Class = iota
	// Throttled: retry after RetryAfter (429, vendor quota signals).
	Throttled
	// Auth: credentials were refused; refresh them once, then retry.
	Auth
	// Permanent: retrying cannot help; dead-letter with the back-end's message.
	Permanent
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	case Auth:
		return "auth"
	case Permanent:
		return "permanent"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Error is a classified failure of a call to another system.
type Error struct {
	Class      Class
	Status     int           // protocol status (HTTP status, LDAP result code), 0 if none
	Code       string        // the system's own error code, e.g. INVALID_SESSION_ID
	Message    string        // the system's own message; never personal data we sent
	RetryAfter time.Duration // for Throttled: how long the system asked us to wait
	Err        error         // underlying error, if any
}

func (e *Error) Error() string {
	s := e.Class.String()
	if e.Status != 0 {
		s += fmt.Sprintf(" (status %d)", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns a classified error.
func New(c Class, status int, code, msg string) *Error {
	return &Error{Class: c, Status: status, Code: code, Message: msg}
}

// Wrap classifies err.
func Wrap(c Class, err error) *Error { return &Error{Class: c, Err: err} }

// As returns the classified error inside err, or a Transient one wrapping err
// when nothing classified it. As(nil) is nil.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Class: Transient, Err: err}
}

// ClassOf is As(err).Class; unclassified errors are Transient.
func ClassOf(err error) Class { return As(err).Class }

// Retryable reports whether a later attempt may succeed.
func Retryable(err error) bool { return ClassOf(err) != Permanent }

// Wait calls fn until it succeeds, fails in a way waiting cannot mend
// (Permanent, Auth), has been called attempts times, or ctx ends. Between
// calls it waits what the error asked (RetryAfter), else n seconds after
// the n-th call: for reading through a paged API that throttles, where a
// caller cannot hand the retry to a queue.
func Wait[T any](ctx context.Context, attempts int, fn func(context.Context) (T, error)) (T, error) {
	for n := 1; ; n++ {
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		fe := As(err)
		if fe.Class == Permanent || fe.Class == Auth || n >= attempts {
			return v, err
		}
		d := fe.RetryAfter
		if d <= 0 {
			d = time.Duration(n) * time.Second
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}
