package ldap

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"slices"
	"strings"
	"testing"
)

func TestDecodeSettings(t *testing.T) {
	const tmpl = "uid={key},ou=people,dc=example,dc=test"
	tests := []struct {
		name     string
		in       map[string]any
		check    func(Settings) bool
		errField string
	}{
		{"openldap defaults", map[string]any{"dn_template": tmpl}, func(s Settings) bool {
			return s.Flavor == OpenLDAP && s.IDAttribute == "uid" && s.DisableAttribute == DefaultDisableAttribute &&
				s.DisableValue == DefaultDisableValue && slices.Contains(s.ObjectClasses, "inetOrgPerson") && s.InitialPassword == ""
		}, ""},
		{"ad defaults", map[string]any{"dn_template": "CN={key},OU=People,DC=corp", "flavor": "ad"}, func(s Settings) bool {
			return slices.Contains(s.ObjectClasses, "user") && s.InitialPassword == InitialPasswordRandom && s.DisableAttribute == ""
		}, ""},
		{"status attribute", map[string]any{"dn_template": tmpl, "disable_attribute": "employeeType", "disable_value": "disabled"},
			func(s Settings) bool { return s.DisableAttribute == "employeeType" }, ""},
		{"no placeholder", map[string]any{"dn_template": "uid=x,dc=test"}, nil, `"dn_template"`},
		{"placeholder twice", map[string]any{"dn_template": "uid={key},ou={key},dc=test"}, nil, `"dn_template"`},
		{"placeholder not first", map[string]any{"dn_template": "ou=p,uid={key},dc=test"}, nil, `"dn_template"`},
		{"placeholder part of value", map[string]any{"dn_template": "uid=x{key},dc=test"}, nil, `"dn_template"`},
		{"no base", map[string]any{"dn_template": "uid={key}"}, nil, `"dn_template"`},
		{"multi-valued rdn", map[string]any{"dn_template": "uid={key}+cn=x,dc=test"}, nil, `"dn_template"`},
		{"bad base", map[string]any{"dn_template": "uid={key},dc"}, nil, `"dn_template"`},
		{"bad id attribute", map[string]any{"dn_template": tmpl, "id_attribute": "u id"}, nil, `"id_attribute"`},
		{"bad object class", map[string]any{"dn_template": tmpl, "object_classes": []any{"top", "in valid"}}, nil, `"object_classes[1]"`},
		{"disable attribute on ad", map[string]any{"dn_template": tmpl, "flavor": "ad", "disable_attribute": "x"}, nil, `"disable_attribute"`},
		{"initial password on openldap", map[string]any{"dn_template": tmpl, "initial_password": "none"}, nil, `"initial_password"`},
		{"bad initial password", map[string]any{"dn_template": tmpl, "flavor": "ad", "initial_password": "hunter2"}, nil, `"initial_password"`},
	}
	for _, tt := range tests {
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(s Settings) bool { return tt.check(s) })
	}
}

func TestParseCredentials(t *testing.T) {
	const secretValue = "s3cr3t-value"
	tests := []struct {
		name, in, errField string
	}{
		{"ldap insecure", `{"url":"ldap://127.0.0.1:389","bind_dn":"cn=admin,dc=example,dc=test","bind_password":"` + secretValue + `","insecure":true}`, ""},
		{"ldap without tls", `{"url":"ldap://127.0.0.1:389","bind_dn":"cn=admin,dc=example,dc=test","bind_password":"` + secretValue + `"}`, `"url": ldap:// sends the bind password in clear`},
		{"ldaps", `{"url":"ldaps://dc1:636","bind_dn":"CN=svc,DC=corp","bind_password":"x"}`, ""},
		{"start tls", `{"url":"ldap://dc1","bind_dn":"CN=svc,DC=corp","bind_password":"x","start_tls":true}`, ""},
		{"start tls on ldaps", `{"url":"ldaps://dc1","bind_dn":"CN=svc","bind_password":"x","start_tls":true}`, `"start_tls"`},
		{"http url", `{"url":"http://dc1","bind_dn":"CN=svc","bind_password":"x"}`, `"url"`},
		{"bad bind dn", `{"url":"ldap://dc1","bind_dn":"not a dn","bind_password":"x","insecure":true}`, `"bind_dn"`},
		{"empty password", `{"url":"ldap://dc1","bind_dn":"CN=svc","bind_password":"","insecure":true}`, `"bind_password"`},
		{"bad ca", `{"url":"ldaps://dc1","bind_dn":"CN=svc","bind_password":"x","ca_cert_pem":"nope"}`, `"ca_cert_pem"`},
		{"not json", `url=` + secretValue, "JSON"},
	}
	for _, tt := range tests {
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, nil, secretValue)
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		in   any
		want []string
	}{
		{"a", []string{"a"}}, {"", nil}, {nil, nil}, {[]any{}, nil},
		{true, []string{"TRUE"}}, {float64(42), []string{"42"}}, {1.5, []string{"1.5"}},
		{[]any{"b", "a", "b", ""}, []string{"a", "b"}}, {[]string{"x"}, []string{"x"}},
	}
	for _, tt := range tests {
		got, err := values(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("values(%#v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{map[string]any{"a": 1}, []any{[]any{"a"}}, []any{map[string]any{}}} {
		if _, err := values(bad); err == nil {
			t.Errorf("values(%#v) accepted", bad)
		}
	}
}

func TestBuild(t *testing.T) {
	secret := []byte(`{"url":"ldap://127.0.0.1:389","bind_dn":"cn=admin,dc=example,dc=test","bind_password":"pw","insecure":true}`)
	c, err := Build("l", map[string]any{"dn_template": "uid={key},ou=people,dc=example,dc=test"}, secret, nil)
	if err != nil || c.base != "ou=people,dc=example,dc=test" || c.rdnAttr != "uid" {
		t.Fatalf("Build = %+v, %v", c, err)
	}
	if _, err := Build("l", map[string]any{"dn_template": "uid={key},ou=people", "flavor": "ad"}, secret, nil); err == nil {
		t.Fatal("ad over plain ldap with an initial password accepted")
	}
	if _, err := Build("l", map[string]any{}, secret, nil); err == nil || !strings.Contains(err.Error(), "dn_template") {
		t.Fatalf("missing template = %v", err)
	}
}
