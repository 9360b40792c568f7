package readers

import (
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/egress"
)

// Every kind here is a registry kind whose connector can read, and a kind
// without a read side is refused with the ones there are.
func TestReadersAreReadableRegistryKinds(t *testing.T) {
	hc := egress.Client(egress.Production, time.Second)
	minimal := map[string]struct {
		settings map[string]any
		secret   string
	}{
		"hubspot":    {map[string]any{"id_property": "profilesync_id", "delete_mode": "archive"}, `{"access_token": "t"}`},
		"ldap":       {map[string]any{"dn_template": "uid={key},ou=people,dc=example,dc=test"}, `{"url": "ldaps://ldap.example.com", "bind_dn": "cn=admin,dc=example,dc=test", "bind_password": "p"}`},
		"salesforce": {map[string]any{"object": "Contact", "external_id_field": "ProfileSync_Id__c"}, `{"login_url": "https://acme.my.salesforce.com", "client_id": "c", "client_secret": "s"}`},
		"scim":       {map[string]any{}, `{"base_url": "https://scim.example.com/v2", "token": "t"}`},
		"brevo":      {map[string]any{}, `{"api_key": "xkeysib-k"}`},
		"mailchimp":  {map[string]any{"list_id": "a1b2c3d4e5"}, `{"api_key": "k-us21"}`},
	}
	for _, k := range Kinds() {
		if _, ok := registry.Lookup(k); !ok {
			t.Errorf("%s is not a registry kind", k)
		}
		m, ok := minimal[k]
		if !ok {
			t.Fatalf("no minimal settings for %s in this test", k)
		}
		c, err := Build(k, "t-"+k, m.settings, []byte(m.secret), hc)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if _, ok := c.(connector.Readable); !ok {
			t.Errorf("%s: %T has no read side", k, c)
		}
	}
	if _, err := Build("braze", "b", nil, nil, hc); err == nil {
		t.Error("braze has no read side, and Build did not say so")
	}
}
