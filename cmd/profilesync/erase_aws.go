package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
)

// deployedErasure is a deployed stack's ledger (the sync-log table) and
// its targets' SQS queues, with the operator's AWS configuration: the
// ingress's QUEUE_URLS is where it queues, so every target's sync function
// gets its delete as from the ingress.
func deployedErasure(ctx context.Context, table, queueURLs string, targets []string) (erasure, error) {
	var urls map[string]string
	if err := json.Unmarshal([]byte(queueURLs), &urls); err != nil {
		return erasure{}, fmt.Errorf("--queue-urls (QUEUE_URLS): want the ingress's JSON object of target to queue URL: %w", err)
	}
	for _, t := range targets {
		if urls[t] == "" {
			return erasure{}, fmt.Errorf("--queue-urls has no queue for target %q", t)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return erasure{}, fmt.Errorf("load aws config: %w", err)
	}
	return erasure{
		ledger: awsadapter.NewSyncLog(awsadapter.DynamoDBOf(dynamodb.NewFromConfig(cfg)), table, 0),
		queue:  awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), urls),
		poll:   time.Second, // a Query a second while the sync functions deliver
	}, nil
}
