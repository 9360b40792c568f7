package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
)

// Every URL a source's secret names meets the egress policy of the client
// it is given, when the source is built.
func TestSecretURLsMeetTheEgressPolicy(t *testing.T) {
	tests := []struct{ cfg, field string }{
		{`{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"%s","client_id":"c","client_secret":"s"}`, "base_url"},
		{`{"kind":"akamai","jwks_url":"%s","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, "jwks_url"},
		{`{"kind":"akamai","jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"%s","client_id":"c","client_secret":"s"}`, "capture_url"},
		{`{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"api_url":"%s","api_key":"sk"}`, "api_url"},
		{`{"kind":"webhook","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"fetch_url":"%s/identities/{subject}","fetch_fields":{"email":"traits.email"}}`, "fetch_url"},
		{`{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"%s/scim/v2","token":"t"}`, "base_url"},
		{`{"kind":"cognito","user_pool_id":"eu-central-1_AbCdEfGhI","endpoint":"%s"}`, "endpoint"},
	}
	local := egress.Client(egress.Local, time.Second)
	for _, tt := range tests {
		with := func(u string) []byte { return []byte(strings.Replace(tt.cfg, "%s", u, 1)) }
		for _, bad := range []string{"http://idp.example.com", "https://169.254.169.254", "https://127.0.0.1:9001", "https://0x7f000001"} {
			if _, _, err := New("s1", with(bad), nil); err == nil || !strings.Contains(err.Error(), `field "`+tt.field+`": refused by the egress policy`) {
				t.Errorf("%s %s = %v, want refused naming the field", tt.field, bad, err)
			}
		}
		if _, _, err := New("s1", with("http://127.0.0.1:9001"), local); err != nil {
			t.Errorf("%s with the local policy: %v", tt.field, err)
		}
	}
}
