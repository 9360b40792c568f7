package salesforce

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"testing"
)

func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]any
		want     Settings
		errField string // the field the error must name; "" for success
	}{
		{"defaults", map[string]any{"object": "Contact", "external_id_field": "ProfileSync_Id__c"},
			Settings{"Contact", "ProfileSync_Id__c", DefaultAPIVersion}, ""},
		{"explicit version", map[string]any{"object": "Lead", "external_id_field": "Ext__c", "api_version": "v45.0"},
			Settings{"Lead", "Ext__c", "v45.0"}, ""},
		{"Id as external id", map[string]any{"object": "Contact", "external_id_field": "Id"}, Settings{}, `"external_id_field"`},
		{"bad object name", map[string]any{"object": "Con tact", "external_id_field": "Ext__c"}, Settings{}, `"object"`},
		{"bad version", map[string]any{"object": "Contact", "external_id_field": "Ext__c", "api_version": "62"}, Settings{}, `"api_version"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool { return got == tt.want })
	}
}

func TestParseCredentials(t *testing.T) {
	const secretValue = "s3cr3t-value"
	tests := []struct {
		name     string
		in       string
		errField string
	}{
		{"ok", `{"login_url":"https://acme.my.salesforce.com","client_id":"id","client_secret":"` + secretValue + `"}`, ""},
		{"relative url", `{"login_url":"acme.my.salesforce.com","client_id":"id","client_secret":"x"}`, `"login_url"`},
		{"not json", `login_url=` + secretValue, "JSON"},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, nil, secretValue)
	}
}
