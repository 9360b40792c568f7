package standardwebhooks

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"standardwebhooks","environment":"","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}`))
	if err != nil || c.ToleranceSeconds != 300 || len(c.keys) != 1 || strings.Contains(c.String(), "whsec") {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":    {`{"secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"secret":"x"}`, `"secret"`},
		"no secrets":     {`{}`, `"secrets"`},
		"no prefix":      {`{"secrets":["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}`, `"secrets[0]"`},
		"bad base64":     {`{"secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","whsec_***"]}`, `"secrets[1]"`},
		"negative tol":   {`{"secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"tolerance_seconds":-1}`, `"tolerance_seconds"`},
		"api half given": {`{"secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"api_url":"https://api.clerk.com"}`, `"api_key"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
