package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/mappings"
	awsadapter "github.com/profilesync/profilesync/pkg/aws"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// The environment template.yaml gives the functions:
//
//	SOURCES      comma-separated source names (cidaas,akamai,clerk)
//	SECRET_ARNS  {"<source or target secret name>": "<Secrets Manager ARN>"}
//	QUEUE_URLS   ingress: {"<target>": "<queue URL>"}
//	TARGET       sync: the target this function delivers to
//	STATE_TABLE  sync: the DynamoDB state table
//
// Endpoints follow AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, so the
// same binaries run against local implementations of the AWS APIs.

// LambdaLogger logs JSON to stdout, as Lambda's JSON log format expects.
func LambdaLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

func lambdaConfig(ctx context.Context, log *slog.Logger) (Config, awssdk.Config, error) {
	ms, err := LoadMappings(mappings.FS, ".")
	if err != nil {
		return Config{}, awssdk.Config{}, err
	}
	arns, err := awsadapter.ParseSecretARNs(os.Getenv("SECRET_ARNS"))
	if err != nil {
		return Config{}, awssdk.Config{}, fmt.Errorf("SECRET_ARNS: %w", err)
	}
	awsCfg, err := awsadapter.LoadConfig(ctx)
	if err != nil {
		return Config{}, awssdk.Config{}, err
	}
	secrets := awsadapter.NewSecrets(secretsmanager.NewFromConfig(awsCfg), arns)
	cfg := Config{Mappings: ms, Sources: splitList(os.Getenv("SOURCES")), Secrets: secrets, Log: log}
	return cfg, awsCfg, nil
}

// IngressFromEnv builds the ingress function's handler.
func IngressFromEnv(ctx context.Context, log *slog.Logger) (*ingress.Handler, error) {
	cfg, awsCfg, err := lambdaConfig(ctx, log)
	if err != nil {
		return nil, err
	}
	var urls map[string]string
	if err := json.Unmarshal([]byte(os.Getenv("QUEUE_URLS")), &urls); err != nil {
		return nil, fmt.Errorf("QUEUE_URLS: want a JSON object of target to queue URL: %w", err)
	}
	for _, m := range cfg.Mappings.All() {
		if urls[m.Name] == "" {
			return nil, fmt.Errorf("QUEUE_URLS has no queue for target %q (regenerate template.yaml)", m.Name)
		}
	}
	q := awsadapter.NewQueues(sqs.NewFromConfig(awsCfg), urls)
	return cfg.Ingress(ctx, q)
}

// SyncFromEnv builds the sync function's handler for $TARGET.
func SyncFromEnv(ctx context.Context, log *slog.Logger) (*delivery.Handler, error) {
	cfg, awsCfg, err := lambdaConfig(ctx, log)
	if err != nil {
		return nil, err
	}
	target, table := os.Getenv("TARGET"), os.Getenv("STATE_TABLE")
	if target == "" || table == "" {
		return nil, fmt.Errorf("TARGET and STATE_TABLE must be set")
	}
	state := awsadapter.NewStateTable(dynamodb.NewFromConfig(awsCfg), table)
	return cfg.Sync(ctx, target, state)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
