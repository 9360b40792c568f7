package registry

import (
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
)

// TestCRMAndDirectoryKinds: the registry knows the kinds, checks their
// settings, and a failed Build returns a nil interface, not a typed nil.
func TestCRMAndDirectoryKinds(t *testing.T) {
	valid := map[string]map[string]any{
		"salesforce": {"query": "SELECT Id FROM Account WHERE Dealer_Number__c = {dealer_number} LIMIT 2"},
		"hubspot":    {"filters": map[string]any{"domain": "{email_domain}"}},
		"directory":  {"base_dn": "ou=people,dc=example,dc=test", "filter": "(mail={email})"},
	}
	hc := egress.Client(egress.Local, time.Second)
	for kind, settings := range valid {
		if _, ok := Lookup(kind); !ok {
			t.Errorf("%s: not registered", kind)
			continue
		}
		if err := CheckSettings(kind, settings); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		if err := CheckSettings(kind, map[string]any{}); err == nil {
			t.Errorf("%s: empty settings passed", kind)
		}
		a, err := Build(kind, "x", settings, []byte(`{}`), hc)
		if err == nil || a != nil {
			t.Errorf("%s: Build with an empty secret = %v, %v; want a nil authority and an error", kind, a, err)
		}
	}
}
