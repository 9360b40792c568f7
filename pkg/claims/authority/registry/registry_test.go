package registry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// minimal are the least settings (and secret) each kind builds with; a
// kind added to the registry without an entry here fails the test.
var minimal = map[string]struct {
	settings map[string]any
	secret   []byte
}{
	"emaildomain": {map[string]any{}, nil},
	"npi":         {map[string]any{}, nil},
	"vies":        {map[string]any{}, nil},
	"salesforce": {map[string]any{"query": "SELECT Id FROM Account WHERE Dealer_Number__c = {dealer_number} LIMIT 2"},
		[]byte(`{"login_url": "https://acme.my.salesforce.com", "client_id": "c", "client_secret": "s"}`)},
	"hubspot": {map[string]any{"filters": map[string]any{"domain": "{email_domain}"}}, []byte(`{"access_token": "pat-x"}`)},
	"directory": {map[string]any{"base_dn": "ou=people,dc=example,dc=test", "filter": "(mail={email})"},
		[]byte(`{"url": "ldaps://ldap.example.com:636", "bind_dn": "cn=admin,dc=example,dc=test", "bind_password": "p"}`)},
	"httpcheck": {map[string]any{
		"url":           "https://registry.example/members/{member_id}",
		"headers":       map[string]any{"Authorization": "Bearer {secret.token}"},
		"verified_when": `answer.status == "active"`,
	}, []byte(`{"fields": {"token": "t"}}`)},
}

func TestEveryKindBuilds(t *testing.T) {
	hc := egress.Client(egress.Production, time.Second)
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			m, ok := minimal[name]
			if !ok {
				t.Fatalf("no minimal settings for kind %s in this test", name)
			}
			k, _ := Lookup(name)
			if k.Spec.Kind != name {
				t.Fatalf("registered as %s, its Spec says %s", name, k.Spec.Kind)
			}
			if err := CheckSettings(name, m.settings); err != nil {
				t.Fatalf("CheckSettings: %v", err)
			}
			a, err := Build(name, "a-"+name, m.settings, m.secret, hc)
			if err != nil || a == nil {
				t.Fatalf("Build: %v, %v", a, err)
			}
		})
	}
	for _, want := range []string{"emaildomain", "httpcheck", "npi", "vies"} {
		if _, ok := Lookup(want); !ok {
			t.Errorf("kind %s is not registered", want)
		}
	}
}

// Settings a kind does not know are a load error naming the key, and Build
// refuses them too (with a nil interface, not a typed nil).
func TestUnknownSettingIsRefused(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := map[string]any{"no_such_setting": true}
			for k, v := range minimal[name].settings {
				s[k] = v
			}
			err := CheckSettings(name, s)
			var se *spec.Error
			found := false
			for _, e := range spec.Leaves(err) {
				if errors.As(e, &se) && se.Path.String() == "no_such_setting" {
					found = true
				}
			}
			if !found || !strings.Contains(err.Error(), "no_such_setting") {
				t.Fatalf("err = %v, want one naming no_such_setting", err)
			}
			a, err := Build(name, "a", s, minimal[name].secret, nil)
			if err == nil || a != nil {
				t.Fatalf("Build = %v, %v; want nil and an error", a, err)
			}
		})
	}
}

func TestUnknownKind(t *testing.T) {
	if err := CheckSettings("carrier-pigeon", nil); err == nil || !strings.Contains(err.Error(), "npi") {
		t.Fatalf("err = %v, want one listing the known kinds", err)
	}
	if _, err := Build("carrier-pigeon", "a", nil, nil, nil); err == nil {
		t.Fatal("built an unknown kind")
	}
}

func TestSpecsAreSortedAndNamed(t *testing.T) {
	specs := Specs()
	for i, s := range specs {
		if s.Summary == "" || len(s.Settings) == 0 {
			t.Errorf("%s: no summary or settings", s.Kind)
		}
		if i > 0 && specs[i-1].Kind >= s.Kind {
			t.Errorf("specs not sorted: %s before %s", specs[i-1].Kind, s.Kind)
		}
	}
}
