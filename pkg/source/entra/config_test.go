package entra

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.GraphURL != DefaultGraphURL || c.LoginURL != DefaultLoginURL || len(c.digests) != 1 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if s := c.String(); strings.Contains(s, sampleState) || strings.Contains(s, "fake-secret") {
		t.Errorf("String leaks a secret: %s", s)
	}
	c, err = ParseConfig([]byte(`{"client_states":["0123456789abcdef"],"tenant_id":"contoso.onmicrosoft.com","client_id":"c","client_secret":"s",
		"extensions_app_id":"B2C1E2A3-0000-4000-8000-00000000000A","custom_attributes":["loyaltyTier"],"graph_url":"https://graph.microsoft.us/"}`))
	if err != nil || c.GraphURL != "https://graph.microsoft.us" {
		t.Fatalf("%v %v", c, err)
	}
	if got := c.extensionName("loyaltyTier"); got != "extension_b2c1e2a300004000800000000000000a_loyaltyTier" {
		t.Errorf("extension name %s", got)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const ok = `"client_states":["0123456789abcdef"],"tenant_id":"t1","client_id":"c","client_secret":"s"`
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":          {`{` + ok + `,"client_state":"x"}`, `"client_state"`},
		"no client_states":     {`{"tenant_id":"t1","client_id":"c","client_secret":"s"}`, `"client_states"`},
		"short client_state":   {`{"client_states":["0123456789abcdef","short"],"tenant_id":"t1","client_id":"c","client_secret":"s"}`, `"client_states[1]"`},
		"long client_state":    {`{"client_states":["` + strings.Repeat("x", 129) + `"],"tenant_id":"t1","client_id":"c","client_secret":"s"}`, `"client_states[0]"`},
		"no tenant":            {`{"client_states":["0123456789abcdef"],"client_id":"c","client_secret":"s"}`, `"tenant_id"`},
		"tenant with a slash":  {`{"client_states":["0123456789abcdef"],"tenant_id":"a/b","client_id":"c","client_secret":"s"}`, `"tenant_id"`},
		"no client_id":         {`{"client_states":["0123456789abcdef"],"tenant_id":"t1","client_secret":"s"}`, `"client_id"`},
		"no client_secret":     {`{"client_states":["0123456789abcdef"],"tenant_id":"t1","client_id":"c"}`, `"client_secret"`},
		"relative graph_url":   {`{` + ok + `,"graph_url":"graph.microsoft.com"}`, `"graph_url"`},
		"login_url with query": {`{` + ok + `,"login_url":"https://login.microsoftonline.com?x=1"}`, `"login_url"`},
		"bad extensions app":   {`{` + ok + `,"extensions_app_id":"nope"}`, `"extensions_app_id"`},
		"attributes, no app":   {`{` + ok + `,"custom_attributes":["tier"]}`, `"custom_attributes"`},
		"bad attribute name":   {`{` + ok + `,"extensions_app_id":"b2c1e2a3-0000-4000-8000-00000000000a","custom_attributes":["a b"]}`, `"custom_attributes[0]"`},
		"wrong kind":           {`{"kind":"okta",` + ok + `}`, `"kind"`},
		"trailing data":        {validConfig + `{}`, "trailing"},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
