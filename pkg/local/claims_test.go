package local

import (
	"testing"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/claimstest"
)

// TestClaimStoreContract runs the claims.Store contract on SQLite.
func TestClaimStoreContract(t *testing.T) {
	claimstest.Run(t, func(t *testing.T) claims.Store { return NewClaimStore(openDB(t, t.TempDir())) })
}
