// Package verifierenv reads the claim verifier Lambda's environment into
// its ports, as pkg/lambdaenv does for the ingress and sync functions: a
// package of its own so that those binaries link none of the verifier.
package verifierenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// Verifier reads the claim verifier function's environment:
//
//	CLAIMS_TABLE        the DynamoDB table of decisions and approvals
//	QUEUE_URL, DLQ_URL  the verifier's own queue (claims.QueueName) and its
//	                    dead-letter queue; a check POST /claims/verify
//	                    could not finish continues on QUEUE_URL
//	EVENT_BUS           optional: the bus for ClaimDecided events
//	APPROVAL_TOPIC_ARN  optional: an SNS topic approvers subscribe to
//	BODY_BUCKET         optional, as for the sync functions
//
// plus SOURCES and SECRET_ARNS as every function. The claim rules are
// loaded with check, the authority registry's CheckSettings, and the
// authorities are built by authorities, its Build: both passed in, so
// only the verifier binary links the authorities. Manual approvals are
// configured when SECRET_ARNS names the claims-approvals secret.
func Verifier(log *slog.Logger, authorities verifier.AuthorityBuilder, check claims.SettingsChecker) (verifier.Ports, error) {
	fn, cfg, err := lambdaenv.Base(log, wiring.Plugins{})
	if err != nil {
		return verifier.Ports{}, err
	}
	rules, err := claims.Loader{CheckSettings: check}.LoadFS(mappings.FS, claims.RulesDir)
	if err != nil {
		return verifier.Ports{}, err
	}
	table, queueURL, dlqURL := os.Getenv("CLAIMS_TABLE"), os.Getenv("QUEUE_URL"), os.Getenv("DLQ_URL")
	if table == "" || queueURL == "" || dlqURL == "" {
		return verifier.Ports{}, errors.New("CLAIMS_TABLE, QUEUE_URL and DLQ_URL must be set")
	}
	q := awsadapter.SQSOf(sqs.NewFromConfig(cfg))
	ports := verifier.Ports{
		Function:    fn,
		Rules:       rules,
		Authorities: authorities,
		Store:       awsadapter.NewClaimStore(awsadapter.ClaimDynamoDBOf(dynamodb.NewFromConfig(cfg)), table),
		Queue:       awsadapter.NewRetryQueue(q, queueURL, dlqURL),
		Continue:    awsadapter.NewQueues(q, map[string]string{claims.QueueName: queueURL}),
	}
	if bus := os.Getenv("EVENT_BUS"); bus != "" {
		ports.Events = awsadapter.NewNotices(awsadapter.EventBridgeOf(eventbridge.NewFromConfig(cfg)), bus)
	}
	b, err := lambdaenv.Bodies(cfg)
	if err != nil {
		return verifier.Ports{}, err
	}
	if b != nil {
		ports.Bodies = b
	}
	raw, err := fn.Secrets.Secret(context.Background(), verifier.ClaimsApprovalsSecret)
	switch {
	case errors.Is(err, awsadapter.ErrUnknownSecret):
		// No manual approvals: a rule with a manual authority fails to
		// build, naming the secret.
	case err != nil:
		return verifier.Ports{}, fmt.Errorf("read secret %s: %w", verifier.ClaimsApprovalsSecret, err)
	default:
		var sns approval.Notifier
		if topic := os.Getenv("APPROVAL_TOPIC_ARN"); topic != "" {
			pub, err := awsadapter.NewSNSPublisher(cfg)
			if err != nil {
				return verifier.Ports{}, fmt.Errorf("APPROVAL_TOPIC_ARN: %w", err)
			}
			sns = approval.SNS{Publisher: pub, TopicARN: topic}
		}
		if ports.Approvals, err = verifier.ApprovalsConfig(raw, fn.HTTP, sns, nil, log); err != nil {
			return verifier.Ports{}, err
		}
	}
	return ports, nil
}
