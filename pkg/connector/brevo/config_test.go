package brevo

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"slices"
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
		{"defaults", map[string]any{}, Settings{Identifier: ByExtID, OptOut: OptOutBlocklist}, ""},
		{"lists default to unlinking", map[string]any{"list_ids": []any{7, 8}}, Settings{Identifier: ByExtID, ListIDs: []int64{7, 8}, OptOut: OptOutUnlinkLists}, ""},
		{"email with blocklist", map[string]any{"identifier": "email", "list_ids": []any{7}, "opt_out": "blocklist"},
			Settings{Identifier: ByEmail, ListIDs: []int64{7}, OptOut: OptOutBlocklist}, ""},
		{"bad identifier", map[string]any{"identifier": "phone"}, Settings{}, `"identifier"`},
		{"list id not a number", map[string]any{"list_ids": []any{"newsletter"}}, Settings{}, `"list_ids`},
		{"list id zero", map[string]any{"list_ids": []any{0}}, Settings{}, `"list_ids[0]"`},
		{"list id twice", map[string]any{"list_ids": []any{3, 3}}, Settings{}, `"list_ids[1]"`},
		{"unlink without lists", map[string]any{"opt_out": "unlink_lists"}, Settings{}, `"opt_out"`},
		{"bad opt-out", map[string]any{"opt_out": "delete"}, Settings{}, `"opt_out"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool {
			return got.Identifier == tt.want.Identifier && got.OptOut == tt.want.OptOut && slices.Equal(got.ListIDs, tt.want.ListIDs)
		})
	}
}

func TestParseCredentials(t *testing.T) {
	const key = "xkeysib-s3cr3t-value"
	tests := []struct {
		name     string
		in       string
		wantBase string
		errField string
	}{
		{"default host", `{"api_key":"` + key + `"}`, DefaultBaseURL, ""},
		{"sandbox host", `{"api_key":"` + key + `","base_url":"http://127.0.0.1:3000/sandbox/brevo/"}`, "http://127.0.0.1:3000/sandbox/brevo", ""},
		{"key with a space", `{"api_key":"xkeysib ` + key + `"}`, "", `"api_key"`},
		{"base url with /v3", `{"api_key":"k","base_url":"https://api.brevo.com/v3"}`, "", `"base_url"`},
		{"relative url", `{"api_key":"k","base_url":"api.brevo.com"}`, "", `"base_url"`},
		{"not json", `api_key=` + key, "", "JSON"},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, func(c Credentials) bool { return c.BaseURL == tt.wantBase }, key)
	}
}

func TestBuild(t *testing.T) {
	if _, err := Build("b", map[string]any{"identifier": "sms"}, []byte(`{"api_key":"k"}`), nil); err == nil || !strings.Contains(err.Error(), `"identifier"`) {
		t.Fatalf("Build with bad settings = %v", err)
	}
	if _, err := Build("b", map[string]any{}, []byte(`{}`), nil); err == nil || !strings.Contains(err.Error(), `"api_key"`) {
		t.Fatalf("Build with bad secret = %v", err)
	}
	if _, err := Build("b", map[string]any{"list_ids": []any{2}}, []byte(`{"api_key":"k"}`), nil); err != nil {
		t.Fatal(err)
	}
}
