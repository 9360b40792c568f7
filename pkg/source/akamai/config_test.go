package akamai

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"akamai","environment":"","jwks_url":"https://v1.api.us.janrain.com/x/login/jwk",
	  "issuer":"i","audience":"a","capture_url":"https://acme.us.janraincapture.com/","client_id":"c","client_secret":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.TypeName != "user" || c.CaptureURL != "https://acme.us.janraincapture.com" || strings.Contains(c.String(), `"s"`) {
		t.Fatalf("%+v / %s", c, c)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key": {`{"jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s","jku":"x"}`, "jku"},
		"missing":     {`{}`, `"jwks_url"`},
		"no issuer":   {`{"jwks_url":"https://j","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"issuer"`},
		"bad url":     {`{"jwks_url":"ftp://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"jwks_url"`},
		"no secret":   {`{"jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c"}`, `"client_secret"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v does not name %s", name, err, tt.want)
		}
	}
}
