package fusionauth

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"fusionauth","hmac_keys":["` + testKey + `"],"api_url":"https://auth.acme.com/","api_key":"key-secret"}`))
	if err != nil || c.APIURL != "https://auth.acme.com" || strings.Contains(c.String(), testKey) || strings.Contains(c.String(), "key-secret") {
		t.Fatalf("%v %v", c, err)
	}
	if _, err := ParseConfig([]byte(`{"jwks_url":"https://auth.acme.com/.well-known/jwks.json","api_url":"https://a","api_key":"k"}`)); err != nil {
		t.Fatalf("jwks_url alone: %v", err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":    {`{"hmac_keys":["` + testKey + `"],"api_url":"https://a","api_key":"k","key":"x"}`, `"key"`},
		"no key at all":  {`{"api_url":"https://a","api_key":"k"}`, `"hmac_keys"`},
		"short hmac key": {`{"hmac_keys":["short"],"api_url":"https://a","api_key":"k"}`, `"hmac_keys"`},
		"bad jwks_url":   {`{"jwks_url":"jwks","api_url":"https://a","api_key":"k"}`, `"jwks_url"`},
		"bad api_url":    {`{"hmac_keys":["` + testKey + `"],"api_url":"a","api_key":"k"}`, `"api_url"`},
		"no api_key":     {`{"hmac_keys":["` + testKey + `"],"api_url":"https://a"}`, `"api_key"`},
		"another kind":   {`{"kind":"zitadel","hmac_keys":["` + testKey + `"],"api_url":"https://a","api_key":"k"}`, `"kind"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
