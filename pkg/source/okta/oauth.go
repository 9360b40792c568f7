package okta

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// assertionLifetime is the client assertion's exp - iat: short, as it
// serves one token request (Okta refuses more than an hour).
const assertionLifetime = 5 * time.Minute

// TokenPath is the org authorization server's token endpoint, the only
// one that issues tokens with okta.* scopes.
const TokenPath = "/oauth2/v1/token"

// parsePrivateKey reads a PEM private key: PKCS#8 or PKCS#1 RSA of at
// least 2048 bits, or PKCS#8 or SEC 1 EC on P-256. Its errors quote
// nothing of the key.
func parsePrivateKey(s string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	var k any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, errors.New("want a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block")
	}
	if err != nil {
		return nil, errors.New("unreadable private key")
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("RSA key under 2048 bits")
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("EC key not on P-256")
		}
		return k, nil
	}
	return nil, errors.New("want an RSA or EC key")
}

// assertion is the private_key_jwt client assertion Okta's token endpoint
// takes: iss and sub the client ID, aud the token endpoint, a fresh jti,
// signed RS256 (RSA) or ES256 (EC) with the app's key.
func (c *Config) assertion(now time.Time) (string, error) {
	alg := "RS256"
	if _, ok := c.signer.(*ecdsa.PrivateKey); ok {
		alg = "ES256"
	}
	h := map[string]string{"alg": alg, "typ": "JWT"}
	if c.KeyID != "" {
		h["kid"] = c.KeyID
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(map[string]any{"iss": c.ClientID, "sub": c.ClientID, "aud": c.OrgURL + TokenPath,
		"iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix(), "jti": hex.EncodeToString(jti)})
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(hb) + "." + enc.EncodeToString(cb)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch k := c.signer.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		if r, s, err = ecdsa.Sign(rand.Reader, k, digest[:]); err == nil {
			sig = make([]byte, 64) // JWS: r and s, 32 bytes each
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		err = errors.New("no private key")
	}
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// newTokens returns the token cache of an OAuth config, nil for an API
// token.
func newTokens(cfg Config, hc *http.Client) *sourcekit.ClientCredentials {
	if cfg.APIToken != "" {
		return nil
	}
	return &sourcekit.ClientCredentials{
		Platform: "okta", TokenURL: cfg.OrgURL + TokenPath, ClientID: cfg.ClientID,
		Assertion: cfg.assertion, Extra: map[string][]string{"scope": {strings.Join(cfg.Scopes, " ")}},
		HTTP: hc,
	}
}

// do runs call with the Authorization header of the configured
// credentials: the API token, or a cached access token that is replaced
// once when the Users API answers 401.
func (f *Fetcher) do(ctx context.Context, call func(ctx context.Context, auth http.Header) (int, http.Header, []byte, error)) (int, http.Header, []byte, error) {
	if f.tokens == nil {
		return call(ctx, http.Header{"Authorization": {"SSWS " + f.cfg.APIToken}})
	}
	return f.tokens.Get(ctx, func(ctx context.Context, tok string) (int, http.Header, []byte, error) {
		return call(ctx, sourcekit.Bearer(tok))
	})
}
