package delivery

import (
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
)

// The shipped salesforce mapping normalises phones, as the sync function
// does (pkg/stack.LoadMappings gives it the normaliser there).
func TestMain(m *testing.M) {
	mapping.UsePhone(phone.E164)
	os.Exit(m.Run())
}
