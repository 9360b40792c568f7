package zitadel

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"zitadel","signing_key":"sk-secret","api_url":"https://acme.zitadel.cloud/","token":"pat-secret"}`))
	if err != nil || c.ToleranceSeconds != 300 || c.APIURL != "https://acme.zitadel.cloud" ||
		strings.Contains(c.String(), "sk-secret") || strings.Contains(c.String(), "pat-secret") {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":  {`{"signing_key":"k","api_url":"https://z","token":"t","key":"x"}`, `"key"`},
		"no key":       {`{"api_url":"https://z","token":"t"}`, `"signing_key"`},
		"negative tol": {`{"signing_key":"k","api_url":"https://z","token":"t","tolerance_seconds":-1}`, `"tolerance_seconds"`},
		"bad api_url":  {`{"signing_key":"k","api_url":"z","token":"t"}`, `"api_url"`},
		"no token":     {`{"signing_key":"k","api_url":"https://z"}`, `"token"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
