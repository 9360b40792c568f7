package mapping

import (
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping/phone"
)

// withPhone loads as the sync function does, with the phone normaliser;
// phone_test.go checks what happens without one.
var withPhone = Loader{Phone: phone.E164}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
