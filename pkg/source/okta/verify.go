package okta

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"

	"github.com/profilesync/profilesync/pkg/source"
)

// authenticate checks the hook's header secret against every configured
// value, comparing SHA-256 digests so neither content nor length leaks by
// timing, and without stopping at the first match. Every failure is
// ErrUnauthenticated and none says which part was wrong.
func (p *Parser) authenticate(h http.Header) error {
	got := h.Get(p.cfg.AuthHeader)
	if got == "" || !p.matches(got) {
		return fmt.Errorf("okta %s: header secret: %w", p.name, source.ErrUnauthenticated)
	}
	return nil
}

func (p *Parser) matches(got string) bool {
	g := sha256.Sum256([]byte(got))
	ok := 0
	for _, w := range p.cfg.digests {
		ok |= subtle.ConstantTimeCompare(g[:], w[:])
	}
	return ok == 1 // no digests (a Config that skipped normalize): fail closed
}
