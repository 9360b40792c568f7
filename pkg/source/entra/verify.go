package entra

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source"
)

// authenticate checks the clientState of every notification in the batch
// against every configured value, comparing SHA-256 digests so neither
// content nor length leaks by timing, and looks at all of them before it
// decides: one missing or wrong clientState refuses the whole request
// (a forged notification slipped into a batch must not ride on the
// genuine ones). A notification of another tenant is refused as well
// when tenant_id is the tenant's id. An empty batch proves nothing and is
// refused too. Every failure is ErrUnauthenticated and none says which
// notification or part was wrong.
func (p *Parser) authenticate(ns []notification) error {
	ok := len(ns) > 0
	for i := range ns {
		n := &ns[i]
		if n.ClientState == nil || !p.matches(*n.ClientState) {
			ok = false
		}
		if p.tenantIsID && n.TenantID != "" && !strings.EqualFold(n.TenantID, p.cfg.TenantID) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("entra %s: clientState: %w", p.name, source.ErrUnauthenticated)
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
