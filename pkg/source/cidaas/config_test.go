package cidaas

import (
	"strings"
	"testing"
)

const validAPIKeyConfig = `{"kind":"cidaas","environment":"prod","auth":"apikey","apikey_name":"apikey",
 "apikey_placement":"header","apikey":"ps-cidaas-fake-key-2b7e","base_url":"https://acme.cidaas.de/",
 "client_id":"cid","client_secret":"csecret"}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(validAPIKeyConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenPath != DefaultTokenPath || c.UserPath != DefaultUserPath || c.BaseURL != "https://acme.cidaas.de" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if strings.Contains(c.String(), "csecret") || strings.Contains(c.String(), "fake-key") {
		t.Errorf("String leaks a secret: %s", c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, json string
		wantField  []string
	}{
		{"unknown key", `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.de","client_id":"c","client_secret":"s","apikey_placeholder":"x"}`, []string{"apikey_placeholder"}},
		{"missing everything", `{"kind":"cidaas"}`, []string{"auth", "base_url", "client_id", "client_secret"}},
		{"apikey without key", `{"auth":"apikey","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{`"apikey"`}},
		{"bad placement", `{"auth":"apikey","apikey":"k","apikey_placement":"cookie","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{"apikey_placement"}},
		{"totp bad key", `{"auth":"totp","totp_key":"not base32!","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{"totp_key"}},
		{"totp short key", `{"auth":"totp","totp_key":"MFRGG","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{"totp_key"}},
		{"oauth2 mode refused", `{"auth":"cidaas_oauth2","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{"auth"}},
		{"wrong kind", `{"kind":"akamai","auth":"apikey","apikey":"k","base_url":"https://a.de","client_id":"c","client_secret":"s"}`, []string{"kind"}},
		{"relative base_url", `{"auth":"apikey","apikey":"k","base_url":"acme.cidaas.de","client_id":"c","client_secret":"s"}`, []string{"base_url"}},
		{"user_path without sub", `{"auth":"apikey","apikey":"k","base_url":"https://a.de","client_id":"c","client_secret":"s","user_path":"/users"}`, []string{"user_path"}},
		{"wrong type", `{"auth":"apikey","apikey":7}`, []string{"apikey"}},
		{"trailing data", validAPIKeyConfig + `{}`, []string{"trailing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			if err == nil {
				t.Fatal("want error")
			}
			for _, f := range tt.wantField {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
		})
	}
}
