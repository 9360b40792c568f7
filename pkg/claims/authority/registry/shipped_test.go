package registry

import (
	"testing"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
)

// Every shipped claim rule loads with the registry's settings checks.
func TestShippedRulesValidate(t *testing.T) {
	set, err := claims.Loader{CheckSettings: CheckSettings}.LoadFS(mappings.FS, claims.RulesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"corporate", "dealer", "employee", "hcp"} {
		if set.Get(want) == nil {
			t.Errorf("rule %s not shipped", want)
		}
	}
}
