package keycloak

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/profilesync/profilesync/pkg/source"
)

// SignatureHeader carries phasetwo's body signature.
const SignatureHeader = "X-Keycloak-Signature"

// Signature is what phasetwo sends in X-Keycloak-Signature for body: the
// lowercase hex HMAC of the body under secret with algorithm (HmacSHA256
// when empty). The sandbox and `profilesync send` sign with it.
func Signature(secret, algorithm string, body []byte) string {
	m := hmac.New(hashFor(algorithm), []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func hashFor(algorithm string) func() hash.Hash {
	if algorithm == AlgHmacSHA1 {
		return sha1.New
	}
	return sha256.New
}

// verify checks the signature on the raw body. Every failure is
// ErrUnauthenticated and none says which part was wrong.
func (p *Parser) verify(sig string, body []byte) error {
	got, err := hex.DecodeString(sig)
	if sig == "" || err != nil {
		return fmt.Errorf("keycloak %s: no readable %s: %w", p.name, SignatureHeader, source.ErrUnauthenticated)
	}
	m := hmac.New(hashFor(p.cfg.Algorithm), p.key)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("keycloak %s: signature does not match: %w", p.name, source.ErrUnauthenticated)
	}
	return nil
}
