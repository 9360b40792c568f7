package ssf

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/profilesync/profilesync/pkg/source"
)

// RFC 8935 §2.3 error codes (IANA "Security Event Token Error Codes").
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidKey           = "invalid_key"
	ErrCodeInvalidIssuer        = "invalid_issuer"
	ErrCodeInvalidAudience      = "invalid_audience"
	ErrCodeAuthenticationFailed = "authentication_failed"
)

// descriptions are the answers' texts: fixed, so nothing of the request
// or of our internals is echoed.
var descriptions = map[string]string{
	ErrCodeInvalidRequest:       "The request body cannot be parsed as a SET, or the SET fails validation",
	ErrCodeInvalidKey:           "The SET is signed with a key or algorithm this receiver does not accept",
	ErrCodeInvalidIssuer:        "The SET issuer is not the configured transmitter",
	ErrCodeInvalidAudience:      "The SET audience does not match this receiver",
	ErrCodeAuthenticationFailed: "The SET signature could not be verified",
}

// setError is a refused SET: its RFC 8935 code, and a sentinel of package
// source for whoever does not read codes.
type setError struct {
	code, why string
	sentinel  error
}

func (e *setError) Error() string { return e.code + ": " + e.why + ": " + e.sentinel.Error() }
func (e *setError) Unwrap() error { return e.sentinel }

func (p *Parser) refuse(code, why string) error {
	s := source.ErrUnauthenticated
	if code == ErrCodeInvalidRequest {
		s = source.ErrMalformed
	}
	return fmt.Errorf("ssf %s: %w", p.name, &setError{code: code, why: why, sentinel: s})
}

// AcceptedStatus implements source.Answerer: RFC 8935's 202.
func (p *Parser) AcceptedStatus() int { return http.StatusAccepted }

// Rejection implements source.Answerer: 400 with {"err", "description"}
// for a refused SET or an event the ingress refused (invalid_request). A
// failed transport authorization keeps the ingress's 401.
func (p *Parser) Rejection(err error) (int, []byte, bool) {
	if errors.Is(err, errAuthorization) {
		return 0, nil, false
	}
	code := ErrCodeInvalidRequest
	var se *setError
	switch {
	case errors.As(err, &se):
		code = se.code
	case errors.Is(err, source.ErrUnauthenticated):
		code = ErrCodeAuthenticationFailed
	case !errors.Is(err, source.ErrMalformed):
		return 0, nil, false
	}
	b, _ := json.Marshal(map[string]string{"err": code, "description": descriptions[code]})
	return http.StatusBadRequest, b, true
}
