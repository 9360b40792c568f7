package hubspot

import (
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
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSettings(tt.in)
			if tt.errField == "" {
				if err != nil || got != tt.want {
					t.Fatalf("DecodeSettings = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("DecodeSettings error = %v, want one naming %s", err, tt.errField)
			}
			if CheckSettings(tt.in) == nil {
				t.Fatal("CheckSettings accepted what DecodeSettings refused")
			}
		})
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
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCredentials([]byte(tt.in))
			if tt.errField == "" {
				if err != nil || c.BaseURL != tt.wantBase {
					t.Fatalf("ParseCredentials = %+v, %v; want base %s", c, err, tt.wantBase)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("error = %v, want one naming %s", err, tt.errField)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "12345678") {
				t.Fatalf("error %q quotes a secret value", err)
			}
		})
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
