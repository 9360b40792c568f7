package delivery

import (
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
)

// withPhone loads mappings as the sync function does, with the phone
// normaliser: the shipped salesforce mapping normalises phones.
var withPhone = mapping.Loader{Phone: phone.E164}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
