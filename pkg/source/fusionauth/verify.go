package fusionauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
)

// SignatureHeader carries the signature JWT.
const SignatureHeader = "X-Fusionauth-Signature-Jwt"

// expLeeway forgives clock skew on an exp claim.
const expLeeway = 5 * time.Minute

// BodyHash is the request_body_sha256 claim for body: standard base64
// (with padding, not base64url) of its SHA-256.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SignHS256 is the X-FusionAuth-Signature-JWT value FusionAuth sends for
// body under an HMAC key with kid. The sandbox and `profilesync send` sign
// with it.
func SignHS256(key, kid string, body []byte) string {
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid})
	c, _ := json.Marshal(map[string]string{"request_body_sha256": BodyHash(body)})
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type claims struct {
	BodySHA256 string   `json:"request_body_sha256"`
	Exp        *float64 `json:"exp"`
}

// verify checks the JWT in header and that it signs body. Every failure is
// ErrUnauthenticated, but for a JWKS that cannot be had (a Transient
// fault.Error: FusionAuth retries and nothing was forged).
func (p *Parser) verify(ctx context.Context, header string, body []byte, now time.Time) error {
	if header == "" {
		return p.unauth("no " + SignatureHeader)
	}
	tok, err := jose.Parse([]byte(header))
	if err != nil {
		return p.unauth(err.Error())
	}
	switch {
	case len(p.hmacKeys) > 0 && isHMAC(tok.Header.Alg):
		err = tok.VerifyHMAC(p.hmacKeys)
	case p.jwks != nil && !isHMAC(tok.Header.Alg):
		if tok.Header.Kid == "" {
			return p.unauth("no kid")
		}
		key, kerr := p.jwks.Key(ctx, tok.Header.Kid, now)
		if errors.Is(kerr, jose.ErrUnknownKID) {
			return p.unauth("unknown kid")
		}
		if kerr != nil {
			return fmt.Errorf("fusionauth %s: %w", p.name, kerr)
		}
		err = tok.VerifyKey(key)
	default:
		return p.unauth(fmt.Sprintf("no key configured for alg %q", tok.Header.Alg))
	}
	if err != nil {
		return p.unauth(err.Error())
	}
	var c claims
	if err := json.Unmarshal(tok.Payload, &c); err != nil {
		return p.unauth("claims are not JSON")
	}
	got, err := base64.StdEncoding.DecodeString(c.BodySHA256)
	want := sha256.Sum256(body)
	if err != nil || !hmac.Equal(got, want[:]) {
		return p.unauth("request_body_sha256 does not match the body")
	}
	if c.Exp != nil && now.After(time.Unix(int64(*c.Exp), 0).Add(expLeeway)) {
		return p.unauth("expired")
	}
	return nil
}

func isHMAC(alg string) bool { return len(alg) > 2 && alg[:2] == "HS" }

func (p *Parser) unauth(why string) error {
	return fmt.Errorf("fusionauth %s: %s: %w", p.name, why, source.ErrUnauthenticated)
}
