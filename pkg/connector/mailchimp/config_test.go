package mailchimp

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
		{"defaults", map[string]any{"list_id": "a1b2c3"}, Settings{ListID: "a1b2c3", StatusIfNew: "subscribed", DeleteMode: DeleteArchive}, ""},
		{"all", map[string]any{"list_id": "a1", "status_if_new": "pending", "delete_mode": "permanent", "key_merge_field": "PSID", "skip_merge_validation": true},
			Settings{"a1", "pending", DeletePermanent, "PSID", true}, ""},
		{"bad list", map[string]any{"list_id": "a/b"}, Settings{}, `"list_id"`},
		{"bad status", map[string]any{"list_id": "a1", "status_if_new": "cleaned"}, Settings{}, `"status_if_new"`},
		{"bad delete mode", map[string]any{"list_id": "a1", "delete_mode": "gdpr"}, Settings{}, `"delete_mode"`},
		{"bad merge tag", map[string]any{"list_id": "a1", "key_merge_field": "profile id"}, Settings{}, `"key_merge_field"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool { return got == tt.want })
	}
}

func TestParseCredentials(t *testing.T) {
	const secret = "f00dfeedf00dfeed"
	tests := []struct {
		name     string
		in       string
		base     string
		errField string
	}{
		{"key with data centre", `{"api_key":"` + secret + `-us21"}`, "https://us21.api.mailchimp.com/3.0", ""},
		{"sandbox override", `{"api_key":"` + secret + `","base_url":"http://127.0.0.1:3000/sandbox/mailchimp/3.0/"}`, "http://127.0.0.1:3000/sandbox/mailchimp/3.0", ""},
		{"oauth token", `{"access_token":"` + secret + `","base_url":"https://us6.api.mailchimp.com/3.0"}`, "https://us6.api.mailchimp.com/3.0", ""},
		{"no data centre", `{"api_key":"` + secret + `"}`, "", `"api_key"`},
		{"nothing", `{}`, "", `"api_key"`},
		{"both", `{"api_key":"` + secret + `-us1","access_token":"t"}`, "", `"access_token"`},
		{"token without base", `{"access_token":"` + secret + `"}`, "", `"base_url"`},
		{"relative base", `{"api_key":"` + secret + `-us1","base_url":"us1.api.mailchimp.com"}`, "", `"base_url"`},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, func(c Credentials) bool { return c.baseURL() == tt.base }, secret)
	}
}

func TestBuild(t *testing.T) {
	c, err := Build("mc", map[string]any{"list_id": "a1"}, []byte(`{"api_key":"k-us21"}`), nil)
	if err != nil || c.base != "https://us21.api.mailchimp.com/3.0" {
		t.Fatalf("Build = %+v, %v", c, err)
	}
	if _, err := Build("mc", map[string]any{}, []byte(`{"api_key":"k-us21"}`), nil); err == nil || !strings.Contains(err.Error(), `"list_id"`) {
		t.Fatalf("Build without list_id = %v", err)
	}
}

func TestSubscriberHash(t *testing.T) {
	// md5("urist.mcvankab@freddiesjokes.com"), the example in Mailchimp's docs.
	if got := SubscriberHash(" Urist.McVankab@FreddiesJokes.com"); got != "62eeb292278cc15f5817cb78f7790b08" {
		t.Fatalf("SubscriberHash = %s", got)
	}
}
