package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// LoadConfig loads the SDK configuration the standard way (environment,
// shared files, the Lambda execution role). It honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_SECRETS_MANAGER), which is how local runs and tests aim
// the Lambdas at moto_server: config v1.33 copies AWS_ENDPOINT_URL into
// Config.BaseEndpoint, and each service client (sqs v1.52,
// secretsmanager v1.50) resolves its own AWS_ENDPOINT_URL_<SERVICE> over it.
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns both off.
func LoadConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (awssdk.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}
