package webhook

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	raw, err := os.ReadFile("testdata/kratos-secret.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(raw)
	if err != nil || c.Encoding != EncodingHex || c.ToleranceSeconds != 300 || strings.Contains(c.String(), "kratos-test-api-key") {
		t.Fatalf("%v %v", c, err)
	}
	const base = `"subject_path":"id","type_path":"type","event_types":{"u":"updated"}`
	const key = `"secrets":["0123456789abcdef"]`
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":           {`{"auth":"apikey",` + key + `,` + base + `,"extra":1}`, `"extra"`},
		"no auth":               {`{` + key + `,` + base + `}`, `"auth"`},
		"unknown auth":          {`{"auth":"jwt",` + key + `,` + base + `}`, `"auth"`},
		"no secrets":            {`{"auth":"apikey",` + base + `}`, `"secrets"`},
		"short key":             {`{"auth":"apikey","secrets":["short"],` + base + `}`, `"secrets[0]"`},
		"basic without colon":   {`{"auth":"basic","secrets":["userpassword"],` + base + `}`, `"secrets[0]"`},
		"basic with header":     {`{"auth":"basic","header":"X-Key","secrets":["u:p"],` + base + `}`, `"header"`},
		"bad header":            {`{"auth":"apikey","header":"X Key",` + key + `,` + base + `}`, `"header"`},
		"prefix without hmac":   {`{"auth":"apikey","signature_prefix":"sha256=",` + key + `,` + base + `}`, `"signature_prefix"`},
		"timestamp, no hmac":    {`{"auth":"basic","timestamp_header":"X-Ts","secrets":["u:p"],` + base + `}`, `"timestamp_header"`},
		"bad encoding":          {`{"auth":"hmac","encoding":"base32",` + key + `,` + base + `}`, `"encoding"`},
		"no subject path":       {`{"auth":"apikey",` + key + `,"type_path":"t","event_types":{"u":"updated"}}`, `"subject_path"`},
		"bad subject path":      {`{"auth":"apikey",` + key + `,"subject_path":"a..b","type_path":"t","event_types":{"u":"updated"}}`, `"subject_path"`},
		"no event types":        {`{"auth":"apikey",` + key + `,"subject_path":"id","type_path":"t"}`, `"event_types"`},
		"unknown event type":    {`{"auth":"apikey",` + key + `,"subject_path":"id","type_path":"t","event_types":{"u":"changed"}}`, `"event_types.u"`},
		"consent needs purpose": {`{"auth":"apikey",` + key + `,"subject_path":"id","type_path":"t","event_types":{"c":"consent_granted"}}`, `"purpose_path"`},
		"unknown field":         {`{"auth":"apikey",` + key + `,` + base + `,"fields":{"shoe_size":"a"}}`, `"fields.shoe_size"`},
		"bad field path":        {`{"auth":"apikey",` + key + `,` + base + `,"fields":{"email":"a["}}`, `"fields.email"`},
		"fetch without subject": {`{"auth":"apikey",` + key + `,` + base + `,"fetch_url":"https://idp.example.com/u","fetch_fields":{"email":"e"}}`, `"fetch_url"`},
		"fetch not a URL":       {`{"auth":"apikey",` + key + `,` + base + `,"fetch_url":"idp/{subject}","fetch_fields":{"email":"e"}}`, `"fetch_url"`},
		"fetch without fields":  {`{"auth":"apikey",` + key + `,` + base + `,"fetch_url":"https://idp.example.com/u/{subject}"}`, `"fetch_fields"`},
		"token without fetch":   {`{"auth":"apikey",` + key + `,` + base + `,"fetch_token":"t"}`, `"fetch_url"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("%s: the error quotes the secret", name)
		}
	}
}

// The README's Kratos secret is the one these tests run (testdata), the
// secret value aside: what users paste is what was tested.
func TestReadmeKratosSecret(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```jsonc\n{\"kind\": \"webhook\"")
	if !ok {
		t.Fatal("no generic secret in the README")
	}
	block, _, _ := strings.Cut(`{"kind": "webhook"`+rest, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			lines = append(lines, l)
		}
	}
	fixed := strings.Replace(strings.Join(lines, "\n"), "<the value above>", kratosKey, 1)
	readmeCfg, err := ParseConfig([]byte(fixed))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("testdata/kratos-secret.json")
	tested, _ := ParseConfig(raw)
	if !reflect.DeepEqual(readmeCfg, tested) {
		t.Fatalf("README %+v\ntested %+v", readmeCfg, tested)
	}
}
