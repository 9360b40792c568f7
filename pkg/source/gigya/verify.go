package gigya

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
)

// The signature headers, canonical.
const (
	HMACHeader = "X-Gigya-Sig-Hmac-Sha1"
	JWTHeader  = "X-Gigya-Sig-Jwt"
)

// BodyHashClaim is the JWT claim that carries the body's SHA-256
// (UNCONFIRMED name, see the package doc).
const BodyHashClaim = "sha256"

// expLeeway forgives clock skew on the JWT's exp and iat.
const expLeeway = 5 * time.Minute

// Signature is the X-Gigya-Sig-Hmac-Sha1 value for body under key, the
// base64-decoded secret: what SAP CDC sends. The sandbox and `profilesync
// send` sign with it.
func Signature(key, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(key, body))
}

func mac(key, body []byte) []byte {
	m := hmac.New(sha1.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// verify authenticates req by the configured scheme and returns nil or an
// error wrapping ErrUnauthenticated (or, for a JWKS that cannot be had, a
// Transient fault.Error: Gigya resends and nothing was forged).
func (p *Parser) verify(ctx context.Context, req source.Request) error {
	if p.cfg.Signature == SchemeJWT {
		return p.verifyJWT(ctx, req.Header.Get(JWTHeader), req.Body, req.Now)
	}
	got, err := base64.StdEncoding.DecodeString(req.Header.Get(HMACHeader))
	if err != nil || len(got) != sha1.Size {
		return p.unauth("missing or unreadable " + HMACHeader)
	}
	ok := 0
	for _, k := range p.cfg.hmacKeys { // every key computed: no early exit
		if hmac.Equal(got, mac(k, req.Body)) {
			ok = 1
		}
	}
	if ok == 0 {
		return p.unauth("no secret matches the signature")
	}
	return nil
}

type jwtClaims struct {
	APIKey string   `json:"apiKey"`
	IAT    *float64 `json:"iat"`
	Exp    *float64 `json:"exp"`
	Hash   string   `json:"sha256"`
}

func (p *Parser) verifyJWT(ctx context.Context, header string, body []byte, now time.Time) error {
	if header == "" {
		return p.unauth("no " + JWTHeader)
	}
	tok, err := jose.Parse([]byte(header))
	if err != nil {
		return p.unauth(err.Error())
	}
	if tok.Header.Alg != "RS256" {
		return p.unauth(fmt.Sprintf("alg %q is not RS256", tok.Header.Alg))
	}
	if tok.Header.Kid == "" {
		return p.unauth("no kid")
	}
	key, err := p.jwks.Key(ctx, tok.Header.Kid, now)
	if errors.Is(err, jose.ErrUnknownKID) {
		return p.unauth("unknown kid")
	}
	if err != nil {
		return fmt.Errorf("gigya %s: %w", p.name, err)
	}
	if err := tok.VerifyKey(key); err != nil {
		return p.unauth(err.Error())
	}
	var c jwtClaims
	if err := json.Unmarshal(tok.Payload, &c); err != nil {
		return p.unauth("claims are not JSON")
	}
	if !hmac.Equal([]byte(c.APIKey), []byte(p.cfg.APIKey)) {
		return p.unauth("apiKey is not the site's")
	}
	sum := sha256.Sum256(body)
	if !hmac.Equal(decodeHash(c.Hash), sum[:]) {
		return p.unauth("the body hash does not match the body")
	}
	if c.IAT == nil || now.IsZero() {
		return p.unauth("no iat")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	if iat.After(now.Add(expLeeway)) {
		return p.unauth("iat in the future")
	}
	if tol := time.Duration(p.cfg.ToleranceSeconds) * time.Second; tol > 0 && iat.Before(now.Add(-tol)) {
		return p.unauth("iat outside the tolerance")
	}
	if c.Exp != nil && now.After(time.Unix(int64(*c.Exp), 0).Add(expLeeway)) {
		return p.unauth("expired")
	}
	return nil
}

// decodeHash reads a SHA-256 as hex, base64 or base64url; anything else is
// nil, which matches no digest.
func decodeHash(s string) []byte {
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if b, err := dec(s); err == nil && len(b) == sha256.Size {
			return b
		}
	}
	return nil
}

func (p *Parser) unauth(why string) error {
	return fmt.Errorf("gigya %s: %s: %w", p.name, why, source.ErrUnauthenticated)
}

// HMACKey is the key a delivery to cfg's source is signed with (its first
// webhook secret, decoded), for `profilesync send`; false for the jwt
// scheme, whose key is SAP's.
func HMACKey(cfg Config) ([]byte, bool) {
	if cfg.normalize() != nil || cfg.Signature != SchemeHMAC {
		return nil, false
	}
	return cfg.hmacKeys[0], true
}
