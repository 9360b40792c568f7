package cognito

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"kind":"cognito","user_pool_id":"eu-central-1_AbCdEfGhI","endpoint":"https://vpce.example.com/"}`))
	if err != nil || c.Region != "eu-central-1" || c.Endpoint != "https://vpce.example.com" {
		t.Fatalf("%v %v", c, err)
	}
	if c, err := ParseConfig([]byte(`{"user_pool_id":"us-gov-west-1_x1","region":"us-gov-west-1"}`)); err != nil || c.Region != "us-gov-west-1" {
		t.Fatalf("%v %v", c, err)
	}
	for name, tt := range map[string]struct{ json, want string }{
		"unknown key":  {`{"user_pool_id":"eu-central-1_A","pool":"x"}`, `"pool"`},
		"no pool":      {`{"kind":"cognito"}`, `"user_pool_id"`},
		"bad pool":     {`{"user_pool_id":"AbCdEf"}`, `"user_pool_id"`},
		"bad endpoint": {`{"user_pool_id":"eu-central-1_A","endpoint":"cognito"}`, `"endpoint"`},
		"other kind":   {`{"kind":"okta","user_pool_id":"eu-central-1_A"}`, `"kind"`},
	} {
		_, err := ParseConfig([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv(endpointEnv, "")
	if got := endpointOf(Config{Region: "eu-central-1"}); got != "https://cognito-idp.eu-central-1.amazonaws.com" {
		t.Errorf("regional endpoint = %s", got)
	}
	t.Setenv(endpointEnv, "http://127.0.0.1:5000/")
	if got := endpointOf(Config{Region: "eu-central-1"}); got != "http://127.0.0.1:5000" {
		t.Errorf("endpoint from the environment = %s", got)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if got := endpointOf(Config{Region: "cn-north-1"}); got != "https://cognito-idp.cn-north-1.amazonaws.com.cn" {
		t.Errorf("ignored endpoint variables = %s", got)
	}
}
