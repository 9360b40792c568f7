package registry

import (
	"slices"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/connector"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{"braze", "brevo", "eventbridge", "generic", "hubspot", "ldap", "mailchimp", "salesforce", "scim", "zuora"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if _, ok := Lookup("epsilon"); ok {
		t.Fatal("Lookup(epsilon) found a kind that does not exist")
	}
}

// kindRow is one kind with settings and a secret that build it.
type kindRow struct {
	kind      string
	settings  map[string]any
	secret    string
	badSecret string // default {}
	maxBatch  int    // the per-call limit of a batching kind, else 0
}

// kindRows are valid settings and secrets of every kind.
func kindRows() []kindRow {
	return []kindRow{
		{"salesforce", map[string]any{"object": "Contact", "external_id_field": "ProfileSync_Id__c"},
			`{"login_url":"https://acme.my.salesforce.com","client_id":"id","client_secret":"s"}`, "", 200},
		{"generic", map[string]any{"auth": "bearer", "requests": map[string]any{
			"upsert":  map[string]any{"method": "PUT", "path": "/contacts/{key}"},
			"deleted": map[string]any{"method": "DELETE", "path": "/contacts/{key}"},
		}}, `{"base_url":"https://api.example.com","token":"t"}`, "", 0},
		{"scim", nil, `{"base_url":"https://a.example/scim/v2","token":"t"}`, "", 0},
		{"ldap", map[string]any{"dn_template": "uid={key},ou=people,dc=example,dc=test"}, `{"url":"ldap://127.0.0.1:389","bind_dn":"cn=admin,dc=example,dc=test","bind_password":"pw","start_tls":true}`, "", 0},
		{"hubspot", map[string]any{"id_property": "profilesync_id", "delete_mode": "archive"}, `{"access_token":"pat-x"}`, "", 100},
		{"brevo", map[string]any{}, `{"api_key":"xkeysib-x"}`, "", 0},
		{"mailchimp", map[string]any{"list_id": "abc123"}, `{"api_key":"0123456789abcdef-us21"}`, "", 0},
		{"braze", map[string]any{}, `{"api_key":"k","base_url":"https://rest.iad-01.braze.com"}`, "", 75},
		{"zuora", map[string]any{"id_field": "ProfileSyncId__c"}, `{"base_url":"https://rest.zuora.com","client_id":"c","client_secret":"s"}`, "", 0},
		{"eventbridge", map[string]any{"bus_name": "profilesync"}, `{"region":"eu-west-1"}`, `{"endpoint":"nope"}`, 10},
	}
}

func TestKinds(t *testing.T) {
	tests := kindRows()
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.kind] = true
		t.Run(tt.kind, func(t *testing.T) {
			k, ok := Lookup(tt.kind)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tt.kind)
			}
			if err := k.CheckSettings(tt.settings); err != nil {
				t.Fatalf("CheckSettings: %v", err)
			}
			c, err := k.New("t1", tt.settings, []byte(tt.secret), nil)
			if err != nil || c == nil {
				t.Fatalf("New = %v, %v", c, err)
			}
			// MaxBatch is set exactly for the kinds whose connector
			// batches, and says what the connector says.
			b, batches := c.(connector.Batcher)
			switch {
			case k.MaxBatch != tt.maxBatch:
				t.Errorf("MaxBatch = %d, want %d", k.MaxBatch, tt.maxBatch)
			case batches != (k.MaxBatch > 0):
				t.Errorf("MaxBatch = %d but the connector is a connector.Batcher: %v", k.MaxBatch, batches)
			case batches && b.MaxBatch() != k.MaxBatch:
				t.Errorf("MaxBatch = %d but the connector's MaxBatch() = %d", k.MaxBatch, b.MaxBatch())
			}
			// A bad secret yields a nil interface, not a typed nil.
			bad := tt.badSecret
			if bad == "" {
				bad = `{}`
			}
			c, err = k.New("t1", tt.settings, []byte(bad), nil)
			if err == nil || c != nil {
				t.Fatalf("New with empty secret = %v, %v; want nil, error", c, err)
			}
			if err := k.CheckSettings(map[string]any{"bogus": 1}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
				t.Fatalf("CheckSettings(bogus) = %v, want an error naming the field", err)
			}
		})
	}
	for _, n := range Names() {
		if !covered[n] {
			t.Errorf("kind %s has no row in this test", n)
		}
	}
}
