package registry

import (
	"slices"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{"eventbridge", "generic", "salesforce"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if _, ok := Lookup("hubspot"); ok {
		t.Fatal("Lookup(hubspot) found a kind that does not exist")
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		kind      string
		settings  map[string]any
		secret    string
		badSecret string // default {}
	}{
		{"salesforce", map[string]any{"object": "Contact", "external_id_field": "ProfileSync_Id__c"},
			`{"login_url":"https://acme.my.salesforce.com","client_id":"id","client_secret":"s"}`, ""},
		{"generic", map[string]any{"auth": "bearer", "requests": map[string]any{
			"upsert":  map[string]any{"method": "PUT", "path": "/contacts/{key}"},
			"deleted": map[string]any{"method": "DELETE", "path": "/contacts/{key}"},
		}}, `{"base_url":"https://api.example.com","token":"t"}`, ""},
		{"eventbridge", map[string]any{"bus_name": "profilesync"}, `{"region":"eu-west-1"}`, `{"endpoint":"nope"}`},
	}
	for _, tt := range tests {
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
}
