package hubspot

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
		errField string // the field the error must name; "" for success
	}{
		{"archive", map[string]any{"id_property": "profilesync_id", "delete_mode": "archive"},
			Settings{IDProperty: "profilesync_id", DeleteMode: DeleteArchive}, ""},
		{"gdpr with opt-out", map[string]any{"id_property": "profilesync_id", "delete_mode": "gdpr", "optout_subscription_id": "123456"},
			Settings{IDProperty: "profilesync_id", DeleteMode: DeleteGDPR, OptOutSubscriptionID: "123456"}, ""},
		{"upper-case id property", map[string]any{"id_property": "ProfileSync_Id", "delete_mode": "gdpr"}, Settings{}, `"id_property"`},
		{"record id as id property", map[string]any{"id_property": "hs_object_id", "delete_mode": "gdpr"}, Settings{}, `"id_property"`},
		{"bad delete mode", map[string]any{"id_property": "profilesync_id", "delete_mode": "purge"}, Settings{}, `"delete_mode"`},
		{"subscription id not digits", map[string]any{"id_property": "p", "delete_mode": "gdpr", "optout_subscription_id": "marketing"}, Settings{}, `"optout_subscription_id"`},
		{"subscription id as a number", map[string]any{"id_property": "p", "delete_mode": "gdpr", "optout_subscription_id": 123}, Settings{}, `"optout_subscription_id"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool { return got == tt.want })
	}
}

func TestParseCredentials(t *testing.T) {
	const token = "pat-na1-s3cr3t-value"
	tests := []struct {
		name     string
		in       string
		wantBase string
		errField string
	}{
		{"default host", `{"access_token":"` + token + `"}`, DefaultBaseURL, ""},
		{"sandbox host", `{"access_token":"` + token + `","base_url":"http://127.0.0.1:3000/sandbox/hubspot/"}`, "http://127.0.0.1:3000/sandbox/hubspot", ""},
		{"token with a newline", `{"access_token":"pat\n` + token + `"}`, "", `"access_token"`},
		{"relative url", `{"access_token":"t","base_url":"api.hubapi.com"}`, "", `"base_url"`},
		{"not json", `access_token=` + token, "", "JSON"},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, func(c Credentials) bool { return c.BaseURL == tt.wantBase }, token)
	}
}

func TestBuild(t *testing.T) {
	if _, err := Build("hs", map[string]any{"id_property": "p"}, []byte(`{"access_token":"t"}`), nil); err == nil || !strings.Contains(err.Error(), `"delete_mode"`) {
		t.Fatalf("Build with bad settings = %v", err)
	}
	if _, err := Build("hs", map[string]any{"id_property": "p", "delete_mode": "gdpr"}, []byte(`{}`), nil); err == nil || !strings.Contains(err.Error(), `"access_token"`) {
		t.Fatalf("Build with bad secret = %v", err)
	}
	c, err := Build("hs", map[string]any{"id_property": "p", "delete_mode": "gdpr"}, []byte(`{"access_token":"t"}`), nil)
	if err != nil || c.MaxBatch() != 100 {
		t.Fatalf("Build = %v, %v", c, err)
	}
}
