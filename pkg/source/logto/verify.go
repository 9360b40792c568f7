package logto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/profilesync/profilesync/pkg/source"
)

// SignatureHeader carries Logto's body signature.
const SignatureHeader = "Logto-Signature-Sha-256"

// Signature is what Logto sends in logto-signature-sha-256 for body. The
// sandbox and `profilesync send` sign with it.
func Signature(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// verify checks the signature on the raw body. Every failure is
// ErrUnauthenticated.
func (p *Parser) verify(sig string, body []byte) error {
	got, err := hex.DecodeString(sig)
	if sig == "" || err != nil {
		return fmt.Errorf("logto %s: no readable %s: %w", p.name, SignatureHeader, source.ErrUnauthenticated)
	}
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("logto %s: signature does not match: %w", p.name, source.ErrUnauthenticated)
	}
	return nil
}
