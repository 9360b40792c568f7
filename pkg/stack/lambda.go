package stack

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
)

// SyncFromEnv builds the sync function's handler for $TARGET from the
// environment template.yaml gives it (see pkg/lambdaenv). The SDK clients
// reach the adapters as method values (awsadapter.DynamoDBOf, ...), which
// keeps the rest of each AWS API out of the binary.
func SyncFromEnv(ctx context.Context, log *slog.Logger) (*delivery.Handler, error) {
	env, err := lambdaenv.Load(LoadMappings)
	if err != nil {
		return nil, err
	}
	cfg := Config{Mappings: env.Mappings, Sources: env.Sources, Secrets: env.Secrets, Log: log}
	target, table := os.Getenv("TARGET"), os.Getenv("STATE_TABLE")
	if target == "" || table == "" {
		return nil, fmt.Errorf("TARGET and STATE_TABLE must be set")
	}
	ddb := awsadapter.DynamoDBOf(dynamodb.NewFromConfig(env.AWS))
	h, err := cfg.Sync(ctx, target, awsadapter.NewStateTable(ddb, table))
	if err != nil {
		return nil, err
	}
	// A rotated secret is picked up when the back-end refuses the old one,
	// not only when the cached copy expires.
	if h.Connector, err = cfg.RefreshingConnector(ctx, target); err != nil {
		return nil, err
	}
	if bus := os.Getenv("EVENT_BUS"); bus != "" {
		h.Notifier = awsadapter.NewNotices(awsadapter.EventBridgeOf(eventbridge.NewFromConfig(env.AWS)), bus)
	}
	// Retries are scheduled on the function's own queue (ChangeMessageVisibility)
	// and abandoned messages go to its DLQ with their reason; SQS's own
	// RedrivePolicy (maxReceiveCount) stays as the backstop.
	queueURL, dlqURL := os.Getenv("QUEUE_URL"), os.Getenv("DLQ_URL")
	if queueURL == "" || dlqURL == "" {
		return nil, fmt.Errorf("QUEUE_URL and DLQ_URL must be set")
	}
	rq := awsadapter.NewRetryQueue(awsadapter.SQSOf(sqs.NewFromConfig(env.AWS)), queueURL, dlqURL)
	h.Visibility, h.DeadLetters = rq, rq
	h.Abandoned = awsadapter.NewAbandonedTable(ddb, table)
	// Two receives stay spare for the DLQ send itself: the handler gives up
	// (and dead-letters with a reason) before SQS's blind redrive would.
	h.Policy.MaxAttempts = max(1, cfg.Mappings.Get(target).Delivery.Receives()-2)
	h.Guard = &delivery.Guard{}
	return h, nil
}
