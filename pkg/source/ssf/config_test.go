package ssf

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"ssf","jwks_url":"https://idp.example.com/jwks","issuer":"i","audience":"a","authorization":["` + testBearer + `"]}`))
	if err != nil || !reflect.DeepEqual(c.SubjectFormats, []string{"iss_sub", "opaque"}) || c.CredentialChange || strings.Contains(c.String(), "ssf-stream-secret") {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":       {`{"jwks_url":"https://j","issuer":"i","audience":"a","x":1}`, `"x"`},
		"no jwks_url":       {`{"issuer":"i","audience":"a"}`, `"jwks_url"`},
		"no issuer":         {`{"jwks_url":"https://j","audience":"a"}`, `"issuer"`},
		"no audience":       {`{"jwks_url":"https://j","issuer":"i"}`, `"audience"`},
		"short bearer":      {`{"jwks_url":"https://j","issuer":"i","audience":"a","authorization":["short"]}`, `"authorization"`},
		"unknown format":    {`{"jwks_url":"https://j","issuer":"i","audience":"a","subject_formats":["did"]}`, `"subject_formats"`},
		"credential string": {`{"jwks_url":"https://j","issuer":"i","audience":"a","credential_change":"yes"}`, `"credential_change"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
