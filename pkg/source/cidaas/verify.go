package cidaas

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// TOTP parameters: RFC 6238 defaults, since cidaas documents none.
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
	totpSkew   = 1 // steps accepted either side of now
)

// authenticate checks the delivery's credential. Every failure is
// ErrUnauthenticated, and none says which part was wrong.
func (p *Parser) authenticate(req source.Request) error {
	switch p.cfg.Auth {
	case AuthAPIKey:
		got := credential(req, p.cfg.APIKeyName, p.cfg.APIKeyPlacement)
		if got == "" || !equalSecret(got, p.cfg.APIKey) {
			return fmt.Errorf("cidaas %s: api key: %w", p.name, source.ErrUnauthenticated)
		}
		return nil
	case AuthTOTP:
		got := credential(req, p.cfg.TOTPName, p.cfg.TOTPPlacement)
		if got == "" || !validTOTP(p.totpKey, got, req.Now) {
			return fmt.Errorf("cidaas %s: totp: %w", p.name, source.ErrUnauthenticated)
		}
		return nil
	}
	// normalize refuses other modes; fail closed should one slip through.
	return fmt.Errorf("cidaas %s: auth mode %q: %w", p.name, p.cfg.Auth, source.ErrUnauthenticated)
}

func credential(req source.Request, name, placement string) string {
	if placement == PlacementQuery {
		return req.Query.Get(name)
	}
	return req.Header.Get(name)
}

// equalSecret compares digests so neither content nor length leaks by timing.
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// validTOTP accepts the code for now's step or one step either side.
func validTOTP(key []byte, code string, now time.Time) bool {
	if len(code) != totpDigits || now.IsZero() {
		return false
	}
	step := now.Unix() / int64(totpStep/time.Second)
	ok := 0
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		if step+d < 0 {
			continue
		}
		ok |= subtle.ConstantTimeCompare([]byte(code), []byte(totpCode(key, uint64(step+d))))
	}
	return ok == 1
}

// totpCode is HOTP (RFC 4226 §5.3) over a time-step counter.
func totpCode(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, bin%1_000_000)
}

// TOTP returns the code for t under a base32 key: what cidaas would send.
// The sandbox and tests use it; it is not needed to verify.
func TOTP(base32Key string, t time.Time) (string, error) {
	key, err := decodeTOTPKey(base32Key)
	if err != nil {
		return "", err
	}
	return totpCode(key, uint64(t.Unix()/int64(totpStep/time.Second))), nil
}
