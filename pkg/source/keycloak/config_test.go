package keycloak

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"keycloak","secret":"0123456789abcdef","base_url":"https://sso.example.com/","realm":"acme","client_id":"c","client_secret":"topsecret"}`))
	if err != nil || c.Algorithm != AlgHmacSHA256 || c.BaseURL != "https://sso.example.com" ||
		strings.Contains(c.String(), "0123456789abcdef") || strings.Contains(c.String(), "topsecret") {
		t.Fatalf("%v %v", c, err)
	}
	const ok = `"secret":"0123456789abcdef","base_url":"https://sso.example.com","realm":"acme","client_id":"c","client_secret":"s"`
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":    {`{` + ok + `,"secrets":[]}`, `"secrets"`},
		"no secret":      {`{"secret":"","base_url":"https://sso.example.com","realm":"acme","client_id":"c","client_secret":"s"}`, `"secret"`},
		"bad algorithm":  {`{` + ok + `,"algorithm":"HmacMD5"}`, `"algorithm"`},
		"no base_url":    {`{"secret":"0123456789abcdef","realm":"acme","client_id":"c","client_secret":"s"}`, `"base_url"`},
		"realm with a /": {`{"secret":"0123456789abcdef","base_url":"https://sso.example.com","realm":"a/b","client_id":"c","client_secret":"s"}`, `"realm"`},
		"no client":      {`{"secret":"0123456789abcdef","base_url":"https://sso.example.com","realm":"acme"}`, `"client_id"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
