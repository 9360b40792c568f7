package akamai

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
)

// jwsHeader is the protected header. jku and x5u are deliberately absent:
// keys come only from the configured JWKS.
type jwsHeader struct {
	Typ  string   `json:"typ"`
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit"`
}

// verifyJWS checks the compact JWS in body and returns its decoded payload.
// Everything up to and including the signature check fails as
// ErrUnauthenticated, except a JWKS that cannot be had (see doc.go).
func (p *Parser) verifyJWS(ctx context.Context, body []byte, now time.Time) ([]byte, error) {
	tok := bytes.TrimSpace(body)
	first, last := bytes.IndexByte(tok, '.'), bytes.LastIndexByte(tok, '.')
	if first < 0 || first == last || bytes.IndexByte(tok[first+1:last], '.') >= 0 {
		return nil, p.unauth("body is not a compact JWS")
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(string(tok[:first]))
	if err != nil {
		return nil, p.unauth("header is not base64url")
	}
	var h jwsHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, p.unauth("header is not JSON")
	}
	switch {
	case h.Alg != "RS256":
		return nil, p.unauth(fmt.Sprintf("alg %q not accepted", h.Alg))
	case !isSETType(h.Typ):
		return nil, p.unauth(fmt.Sprintf("typ %q is not secevent+jwt", h.Typ))
	case len(h.Crit) > 0:
		return nil, p.unauth("crit header parameters not understood")
	case h.Kid == "":
		return nil, p.unauth("no kid")
	}
	sig, err := base64.RawURLEncoding.DecodeString(string(tok[last+1:]))
	if err != nil || len(sig) == 0 {
		return nil, p.unauth("signature is not base64url")
	}
	pub, err := p.jwks.Key(ctx, h.Kid, now)
	if errors.Is(err, jose.ErrUnknownKID) {
		return nil, p.unauth("unknown kid")
	}
	if err != nil {
		return nil, err
	}
	key, ok := pub.(*rsa.PublicKey)
	if !ok { // RS256 needs an RSA key; the JWKS may hold others
		return nil, p.unauth("kid names a key that is not RSA")
	}
	digest := sha256.Sum256(tok[:last])
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, p.unauth("bad signature")
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(tok[first+1 : last]))
	if err != nil {
		return nil, fmt.Errorf("akamai %s: payload is not base64url: %w", p.name, source.ErrMalformed)
	}
	return payload, nil
}

// isSETType accepts the explicit type RFC 8417 §2.3 asks for; media type
// names compare case-insensitively and may drop "application/" (RFC 7515).
func isSETType(typ string) bool {
	t := strings.ToLower(typ)
	return t == "secevent+jwt" || t == "application/secevent+jwt"
}

func (p *Parser) unauth(why string) error {
	return fmt.Errorf("akamai %s: %s: %w", p.name, why, source.ErrUnauthenticated)
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

func (a audience) contains(want string) bool {
	for _, s := range a {
		if s == want {
			return true
		}
	}
	return false
}
