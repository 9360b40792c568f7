package awsadapter

import (
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// Where ObjectStore sends its calls: virtual-hosted on AWS, path-style on
// a configured endpoint, with AWS_ENDPOINT_URL_S3 before the general one
// and neither when they are to be ignored.
func TestObjectStoreURL(t *testing.T) {
	for _, tc := range []struct {
		name, general, s3, ignore, want string
	}{
		{"aws", "", "", "", "https://bodies.s3.eu-central-1.amazonaws.com/salesforce/ab%20c"},
		{"general endpoint", "http://127.0.0.1:5000", "", "", "http://127.0.0.1:5000/bodies/salesforce/ab%20c"},
		{"s3 endpoint first", "http://127.0.0.1:5000", "https://s3.vpce.example/base/", "", "https://s3.vpce.example/base/bodies/salesforce/ab%20c"},
		{"ignored", "http://127.0.0.1:5000", "http://127.0.0.1:6000", "true", "https://bodies.s3.eu-central-1.amazonaws.com/salesforce/ab%20c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_S3", tc.s3)
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", tc.ignore)
			cfg := awssdk.Config{Region: "eu-central-1"}
			if tc.general != "" {
				cfg.BaseEndpoint = awssdk.String(tc.general)
			}
			o, err := NewObjectStore(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.objectURL("bodies", "salesforce/ab c").String(); got != tc.want {
				t.Errorf("URL %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := NewObjectStore(awssdk.Config{}); err == nil {
		t.Error("no region accepted")
	}
}
