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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
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
//	EVENT_BUS    sync, optional: the EventBridge bus for ProfileSynced and
//	             SyncAbandoned notices
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
	h, err := cfg.Sync(ctx, target, state)
	if err != nil {
		return nil, err
	}
	// A rotated secret is picked up when the back-end refuses the old one,
	// not only when the cached copy expires.
	if h.Connector, err = cfg.RefreshingConnector(ctx, target); err != nil {
		return nil, err
	}
	if bus := os.Getenv("EVENT_BUS"); bus != "" {
		h.Notifier = awsadapter.NewNotices(eventbridge.NewFromConfig(awsCfg), bus)
	}
	// Retries are scheduled on the function's own queue (ChangeMessageVisibility)
	// and abandoned messages go to its DLQ with their reason; SQS's own
	// RedrivePolicy (maxReceiveCount) stays as the backstop.
	queueURL, dlqURL := os.Getenv("QUEUE_URL"), os.Getenv("DLQ_URL")
	if queueURL == "" || dlqURL == "" {
		return nil, fmt.Errorf("QUEUE_URL and DLQ_URL must be set")
	}
	rq := awsadapter.NewRetryQueue(sqs.NewFromConfig(awsCfg), queueURL, dlqURL)
	h.Visibility, h.DeadLetters = rq, rq
	h.Abandoned = awsadapter.NewAbandonedTable(dynamodb.NewFromConfig(awsCfg), table)
	// Two receives stay spare for the DLQ send itself: the handler gives up
	// (and dead-letters with a reason) before SQS's blind redrive would.
	h.Policy.MaxAttempts = max(1, cfg.Mappings.Get(target).Delivery.Receives()-2)
	h.Guard = &delivery.Guard{}
	return h, nil
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
