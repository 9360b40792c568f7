package mapping

import (
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping/phone"
)

// The tests evaluate e164 fields, as the sync function does; phone_test.go
// checks what happens in a binary without a normaliser.
func TestMain(m *testing.M) {
	UsePhone(phone.E164)
	os.Exit(m.Run())
}
