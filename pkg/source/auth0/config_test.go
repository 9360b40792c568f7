package auth0

import (
	"strings"
	"testing"
)

const validConfig = `{"kind":"auth0","environment":"prod","authorization":["Bearer ps-auth0-fake-token-9c1d"],
 "domain":"https://acme-dev.us.auth0.com/","client_id":"cid","client_secret":"csecret"}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "https://acme-dev.us.auth0.com" || c.Audience != "https://acme-dev.us.auth0.com/api/v2/" || len(c.digests) != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if s := c.String(); strings.Contains(s, "fake-token") || strings.Contains(s, "csecret") {
		t.Errorf("String leaks a secret: %s", s)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const rest = `"domain":"https://a.auth0.com","client_id":"c","client_secret":"s"`
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":   {`{"authorization":["0123456789abcdef"],` + rest + `,"token":"x"}`, `"token"`},
		"no header":     {`{` + rest + `}`, `"authorization"`},
		"short value":   {`{"authorization":["0123456789abcdef","Bearer x"],` + rest + `}`, `"authorization[1]"`},
		"no domain":     {`{"authorization":["0123456789abcdef"],"client_id":"c","client_secret":"s"}`, `"domain"`},
		"no client":     {`{"authorization":["0123456789abcdef"],"domain":"https://a.auth0.com"}`, `"client_id"`},
		"bad audience":  {`{"authorization":["0123456789abcdef"],` + rest + `,"audience":"api"}`, `"audience"`},
		"wrong kind":    {`{"kind":"okta","authorization":["0123456789abcdef"],` + rest + `}`, `"kind"`},
		"trailing data": {validConfig + `{}`, "trailing"},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
