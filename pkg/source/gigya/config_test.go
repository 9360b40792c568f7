package gigya

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"gigya","api_key":"4_x","data_center":"eu1","user_key":"uk","secret":"` + testSecret + `"}`))
	if err != nil || c.BaseURL != "https://accounts.eu1.gigya.com" || c.Signature != SchemeHMAC || len(c.hmacKeys) != 1 ||
		strings.Contains(c.String(), testSecret) {
		t.Fatalf("%v %v", c, err)
	}
	c, err = ParseConfig([]byte(`{"api_key":"4_x","base_url":"http://127.0.0.1:3000/sandbox/gigya/","secret":"` + testSecret + `",
		"webhook_secrets":["` + testSecret + `","b3RoZXItZ2lneWEtcGFydG5lci1zZWNyZXQtYnl0ZXM="]}`))
	if err != nil || c.BaseURL != "http://127.0.0.1:3000/sandbox/gigya" || len(c.hmacKeys) != 2 {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":       {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","x":1}`, `"x"`},
		"no api key":        {`{"data_center":"us1","secret":"` + testSecret + `"}`, `"api_key"`},
		"no endpoint":       {`{"api_key":"k","secret":"` + testSecret + `"}`, `"base_url"`},
		"both endpoints":    {`{"api_key":"k","data_center":"us1","base_url":"https://x","secret":"` + testSecret + `"}`, `"base_url"`},
		"bad data center":   {`{"api_key":"k","data_center":"accounts.us1.gigya.com","secret":"` + testSecret + `"}`, `"data_center"`},
		"secret not base64": {`{"api_key":"k","data_center":"us1","secret":"not base64!"}`, `"secret"`},
		"secret too short":  {`{"api_key":"k","data_center":"us1","secret":"c2hvcnQ="}`, `"secret"`},
		"bad scheme":        {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","signature":"rsa"}`, `"signature"`},
		"bad webhook secret": {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","webhook_secrets":["x"]}`,
			`"webhook_secrets[0]"`},
		"three webhook secrets": {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","webhook_secrets":["` +
			testSecret + `","` + testSecret + `","` + testSecret + `"]}`, `"webhook_secrets"`},
		"jwt with webhook secrets": {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","signature":"jwt","webhook_secrets":["` +
			testSecret + `"]}`, `"webhook_secrets"`},
		"negative tolerance": {`{"api_key":"k","data_center":"us1","secret":"` + testSecret + `","tolerance_seconds":-1}`, `"tolerance_seconds"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
