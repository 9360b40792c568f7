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
		"unknown key":                      {`{"jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s","jku":"x"}`, "jku"},
		"missing":                          {`{}`, `"jwks_url"`},
		"no issuer":                        {`{"jwks_url":"https://j","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"issuer"`},
		"bad url":                          {`{"jwks_url":"ftp://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"jwks_url"`},
		"no secret":                        {`{"jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c"}`, `"client_secret"`},
		"http jwks":                        {`{"jwks_url":"http://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"jwks_url": want https`},
		"http loopback without the option": {`{"jwks_url":"http://127.0.0.1:3000/jwk","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `"jwks_url": want https`},
		"http elsewhere with the option":   {`{"jwks_url":"http://jwks.example.com/jwk","allow_http_loopback":true,"issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `only for a loopback host`},
		"http lookalike host":              {`{"jwks_url":"http://127.0.0.1.nip.io/jwk","allow_http_loopback":true,"issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, `only for a loopback host`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v does not name %s", name, err, tt.want)
		}
	}
}

func TestParseConfigLoopbackJWKS(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:3000/sandbox/akamai/login/jwk", "http://localhost:3000/jwk", "http://[::1]:8080/jwk", "http://0.0.0.0:3000/jwk", "https://v1.api.us.janrain.com/x/login/jwk"} {
		_, err := ParseConfig([]byte(`{"jwks_url":"` + u + `","allow_http_loopback":true,"issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`))
		if err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
