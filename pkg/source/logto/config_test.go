package logto

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"logto","signing_key":"sk-secret","endpoint":"https://abc.logto.app/","client_id":"m2m","client_secret":"cs-secret"}`))
	if err != nil || c.Endpoint != "https://abc.logto.app" || c.Resource != "https://abc.logto.app/api" ||
		strings.Contains(c.String(), "sk-secret") || strings.Contains(c.String(), "cs-secret") {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":  {`{"signing_key":"k","endpoint":"https://a","client_id":"c","client_secret":"s","secret":"x"}`, `"secret"`},
		"no key":       {`{"endpoint":"https://a","client_id":"c","client_secret":"s"}`, `"signing_key"`},
		"bad endpoint": {`{"signing_key":"k","endpoint":"a","client_id":"c","client_secret":"s"}`, `"endpoint"`},
		"no client":    {`{"signing_key":"k","endpoint":"https://a"}`, `"client_id"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
