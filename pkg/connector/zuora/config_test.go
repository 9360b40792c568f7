package zuora

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"strings"
	"testing"
)

func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]any
		want     Settings
		errField string
	}{
		{"defaults", map[string]any{"id_field": "ProfileSyncId__c"},
			Settings{IDField: "ProfileSyncId__c", Lookup: LookupObjectQuery, DeleteMode: DeleteContact}, ""},
		{"all", map[string]any{"id_field": "Ext__c", "account_id": "A00000001", "lookup": "zoql", "delete_mode": "scrub", "entity_id": "e-1"},
			Settings{"Ext__c", "A00000001", LookupZOQL, DeleteScrub, "e-1"}, ""},
		{"standard field", map[string]any{"id_field": "workEmail"}, Settings{}, `"id_field"`},
		{"injection", map[string]any{"id_field": "x__c = '' or Id__c"}, Settings{}, `"id_field"`},
		{"bad account", map[string]any{"id_field": "Ext__c", "account_id": "A 1"}, Settings{}, `"account_id"`},
		{"bad lookup", map[string]any{"id_field": "Ext__c", "lookup": "soql"}, Settings{}, `"lookup"`},
		{"bad delete mode", map[string]any{"id_field": "Ext__c", "delete_mode": "archive"}, Settings{}, `"delete_mode"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool { return got == tt.want })
	}
}

func TestParseCredentials(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name     string
		in       string
		errField string
	}{
		{"ok", `{"base_url":"https://rest.apisandbox.zuora.com","client_id":"id","client_secret":"` + secret + `"}`, ""},
		{"relative url", `{"base_url":"rest.zuora.com","client_id":"id","client_secret":"x"}`, `"base_url"`},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, nil, secret)
	}
}

func TestBuild(t *testing.T) {
	c, err := Build("z", map[string]any{"id_field": "Ext__c"}, []byte(`{"base_url":"https://rest.zuora.com/","client_id":"a","client_secret":"b"}`), nil)
	if err != nil || c.base != "https://rest.zuora.com" {
		t.Fatalf("Build = %+v, %v", c, err)
	}
	if _, err := Build("z", map[string]any{"id_field": "Ext__c"}, []byte(`{}`), nil); err == nil || !strings.Contains(err.Error(), `"base_url"`) {
		t.Fatalf("Build with an empty secret = %v", err)
	}
}

func TestCategory(t *testing.T) {
	for code, want := range map[string]string{"53100020": "20", "90000011": "auth", "5310002": "", "ABCDEFGH": "", "": ""} {
		if got, _ := category(code); got != want {
			t.Errorf("category(%q) = %q, want %q", code, got, want)
		}
	}
}
