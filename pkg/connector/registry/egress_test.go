package registry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
)

// Every connector that calls over HTTP checks its secret's URL against the
// egress policy of the client it is given, when it is built.
func TestSecretURLsMeetTheEgressPolicy(t *testing.T) {
	local := egress.Client(egress.Local, time.Second)
	for _, row := range kindRows() {
		if row.kind == "ldap" || row.kind == "eventbridge" {
			continue // not HTTP: LDAP, and the AWS SDK's own endpoint
		}
		field := "base_url"
		if row.kind == "salesforce" {
			field = "login_url"
		}
		k, _ := Lookup(row.kind)
		secret := func(u string) []byte {
			var m map[string]any
			if err := json.Unmarshal([]byte(row.secret), &m); err != nil {
				t.Fatal(err)
			}
			m[field] = u
			b, _ := json.Marshal(m)
			return b
		}
		for _, bad := range []string{"http://api.example.com", "https://169.254.169.254", "https://127.0.0.1:9001", "https://[::1]", "https://10.0.0.8", "https://0x7f.1"} {
			_, err := k.New("t1", row.settings, secret(bad), nil)
			if err == nil || !strings.Contains(err.Error(), `field "`+field+`": refused by the egress policy`) {
				t.Errorf("%s with %s %s = %v, want refused naming the field", row.kind, field, bad, err)
			}
		}
		if _, err := k.New("t1", row.settings, secret("http://127.0.0.1:9001"), local); err != nil {
			t.Errorf("%s with the local policy: %v", row.kind, err)
		}
		if _, err := k.New("t1", row.settings, secret("https://169.254.169.254"), local); err == nil {
			t.Errorf("%s: the local policy allowed the metadata service", row.kind)
		}
	}
}
