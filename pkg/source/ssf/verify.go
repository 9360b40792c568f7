package ssf

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
)

// errAuthorization is a missing or wrong Authorization header: the
// ingress's 401, not an RFC 8935 error about the SET.
var errAuthorization = errors.New("the stream's Authorization header does not match")

// authorize checks the Authorization header against every configured
// value in constant time; none configured means none required.
func (p *Parser) authorize(got string) error {
	if len(p.cfg.Authorization) == 0 {
		return nil
	}
	ok := 0
	for _, want := range p.cfg.Authorization {
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(want))
	}
	if ok == 0 {
		return fmt.Errorf("ssf %s: %w: %w", p.name, errAuthorization, source.ErrUnauthenticated)
	}
	return nil
}

// verifySET checks the compact SET in body and returns its payload.
func (p *Parser) verifySET(ctx context.Context, body []byte, now time.Time) ([]byte, error) {
	tok, err := jose.Parse(body)
	if err != nil {
		return nil, p.refuse(ErrCodeInvalidRequest, err.Error())
	}
	h := tok.Header
	switch {
	case !isSETType(h.Typ):
		return nil, p.refuse(ErrCodeInvalidRequest, "typ is not secevent+jwt")
	case !oneOf(h.Alg, jose.PublicKeyAlgs):
		return nil, p.refuse(ErrCodeInvalidKey, fmt.Sprintf("alg %q not accepted", h.Alg))
	case h.Kid == "":
		return nil, p.refuse(ErrCodeInvalidKey, "no kid")
	}
	key, err := p.jwks.Key(ctx, h.Kid, now)
	if errors.Is(err, jose.ErrUnknownKID) {
		return nil, p.refuse(ErrCodeInvalidKey, "unknown kid")
	}
	if err != nil {
		return nil, fmt.Errorf("ssf %s: %w", p.name, err) // the JWKS cannot be had: 503, the transmitter retries
	}
	if err := tok.VerifyKey(key); err != nil {
		return nil, p.refuse(ErrCodeAuthenticationFailed, err.Error())
	}
	return tok.Payload, nil
}

func isSETType(typ string) bool {
	t := strings.ToLower(typ)
	return t == "secevent+jwt" || t == "application/secevent+jwt"
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

// audience is the aud claim: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = l
	return nil
}
