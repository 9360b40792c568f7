package okta

import (
	"strings"
	"testing"
)

const validConfig = `{"kind":"okta","environment":"prod","secrets":["ps-okta-fake-secret-7f3a"],
 "org_url":"https://acme.okta.example.com/","api_token":"00fake-api-token"}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthHeader != "Authorization" || c.OrgURL != "https://acme.okta.example.com" || len(c.digests) != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if s := c.String(); strings.Contains(s, "fake-secret") || strings.Contains(s, "api-token") {
		t.Errorf("String leaks a secret: %s", s)
	}
	c, err = ParseConfig([]byte(`{"auth_header":"x-okta-hook-auth","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`))
	if err != nil || c.AuthHeader != "X-Okta-Hook-Auth" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":   {`{"secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t","secret":"x"}`, `"secret"`},
		"no secrets":    {`{"org_url":"https://a.okta.com","api_token":"t"}`, `"secrets"`},
		"short secret":  {`{"secrets":["0123456789abcdef","short"],"org_url":"https://a.okta.com","api_token":"t"}`, `"secrets[1]"`},
		"no org":        {`{"secrets":["0123456789abcdef"],"api_token":"t"}`, `"org_url"`},
		"relative org":  {`{"secrets":["0123456789abcdef"],"org_url":"acme.okta.com","api_token":"t"}`, `"org_url"`},
		"no token":      {`{"secrets":["0123456789abcdef"],"org_url":"https://a.okta.com"}`, `"api_token"`},
		"bad header":    {`{"auth_header":"a b","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`, `"auth_header"`},
		"wrong kind":    {`{"kind":"auth0","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`, `"kind"`},
		"wrong type":    {`{"secrets":"0123456789abcdef","org_url":"https://a.okta.com","api_token":"t"}`, `"secrets"`},
		"trailing data": {validConfig + `{}`, "trailing"},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
