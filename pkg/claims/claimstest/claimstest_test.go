package claimstest_test

import (
	"testing"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/claimstest"
)

func TestMemoryStore(t *testing.T) {
	claimstest.Run(t, func(*testing.T) claims.Store { return claims.NewMemoryStore() })
}
