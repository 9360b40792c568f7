package awsadapter

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// configuredEndpoint is the endpoint configured for the service serviceID
// ("DynamoDB", "SNS", "S3") as the SDK resolves it for the clients this
// package signs for itself: AWS_ENDPOINT_URL_<SERVICE>, else
// cfg.BaseEndpoint (AWS_ENDPOINT_URL through ConfigFromEnv); "" when none
// is, or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says to ignore them.
func configuredEndpoint(cfg awssdk.Config, serviceID string) (string, error) {
	ignore, _, err := environment{}.GetIgnoreConfiguredEndpoints(context.Background())
	if err != nil || ignore {
		return "", err
	}
	raw, _, _ := environment{}.GetServiceBaseEndpoint(context.Background(), serviceID)
	if raw == "" && cfg.BaseEndpoint != nil {
		raw = *cfg.BaseEndpoint
	}
	return raw, nil
}

// serviceEndpoint is the configured endpoint of serviceID, else AWS's
// regional one for host (https://<host>.<region>.amazonaws.com/, .com.cn
// in China), as an absolute http(s) URL.
func serviceEndpoint(cfg awssdk.Config, serviceID, host string) (*url.URL, error) {
	if cfg.Region == "" {
		return nil, ErrNoRegion
	}
	raw, err := configuredEndpoint(cfg, serviceID)
	if err != nil {
		return nil, err
	}
	if raw == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		raw = "https://" + host + "." + cfg.Region + "." + suffix + "/"
	}
	return absoluteEndpoint(strings.ToLower(serviceID), raw)
}

// absoluteEndpoint parses raw, which must be an absolute http(s) URL.
func absoluteEndpoint(service, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s endpoint %q: want an absolute http(s) URL", service, raw)
	}
	return u, nil
}
