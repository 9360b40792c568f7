package awsadapter

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The adapters take the SDK clients through small interfaces (so tests can
// hand them fakes), but the Lambda functions hand them these method values
// instead of the clients themselves. The reason is binary size: a program
// that calls reflect's Method or MethodByName with a computed name — which
// expr-lang/expr and google.golang.org/protobuf both do — makes Go's linker
// keep every exported method of every type stored in an interface. A
// *dynamodb.Client in an interface thus brings the whole DynamoDB API
// (backups, exports, global tables, ...) into the binary; a struct of
// method values brings only the operations listed here. Measured on the
// sync function: 2.8 MB smaller.

// DynamoDBMethods are the DynamoDB operations of StateTable and
// AbandonedTable.
type DynamoDBMethods struct {
	GetItemFunc func(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItemFunc func(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	QueryFunc   func(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	// BatchWriteItemFunc writes the sync log (SyncLog).
	BatchWriteItemFunc func(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	// BatchGetItemFunc reads a queue batch's states (StateTable.GetMany).
	BatchGetItemFunc func(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// DynamoDBOf returns c's operations as method values.
func DynamoDBOf(c *dynamodb.Client) DynamoDBMethods {
	return DynamoDBMethods{GetItemFunc: c.GetItem, PutItemFunc: c.PutItem, QueryFunc: c.Query, BatchWriteItemFunc: c.BatchWriteItem, BatchGetItemFunc: c.BatchGetItem}
}

var (
	_ DynamoDBAPI         = DynamoDBMethods{}
	_ DynamoDBBatchGetAPI = DynamoDBMethods{}
	_ AbandonedAPI        = DynamoDBMethods{}
	_ SyncLogAPI          = DynamoDBMethods{}
)

func (m DynamoDBMethods) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return m.GetItemFunc(ctx, in, optFns...)
}

func (m DynamoDBMethods) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return m.PutItemFunc(ctx, in, optFns...)
}

func (m DynamoDBMethods) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return m.BatchGetItemFunc(ctx, in, optFns...)
}

func (m DynamoDBMethods) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return m.QueryFunc(ctx, in, optFns...)
}

func (m DynamoDBMethods) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return m.BatchWriteItemFunc(ctx, in, optFns...)
}

// SQSMethods are the SQS operations of Queues (ingress) and RetryQueue
// (sync).
type SQSMethods struct {
	SendMessageBatchFunc        func(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	SendMessageFunc             func(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibilityFunc func(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQSOf returns c's operations as method values.
func SQSOf(c *sqs.Client) SQSMethods {
	return SQSMethods{SendMessageBatchFunc: c.SendMessageBatch, SendMessageFunc: c.SendMessage,
		ChangeMessageVisibilityFunc: c.ChangeMessageVisibility}
}

var (
	_ SQSAPI   = SQSMethods{}
	_ RetryAPI = SQSMethods{}
)

func (m SQSMethods) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return m.SendMessageBatchFunc(ctx, in, optFns...)
}

func (m SQSMethods) SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return m.SendMessageFunc(ctx, in, optFns...)
}

func (m SQSMethods) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	return m.ChangeMessageVisibilityFunc(ctx, in, optFns...)
}

// SecretsManagerMethods is the Secrets Manager operation of Secrets.
type SecretsManagerMethods struct {
	GetSecretValueFunc func(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManagerOf returns c's operation as a method value.
func SecretsManagerOf(c *secretsmanager.Client) SecretsManagerMethods {
	return SecretsManagerMethods{GetSecretValueFunc: c.GetSecretValue}
}

var _ SecretsManagerAPI = SecretsManagerMethods{}

func (m SecretsManagerMethods) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return m.GetSecretValueFunc(ctx, in, optFns...)
}

// EventBridgeMethods is the EventBridge operation of Notices and of the
// eventbridge target.
type EventBridgeMethods struct {
	PutEventsFunc func(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridgeOf returns c's operation as a method value.
func EventBridgeOf(c *eventbridge.Client) EventBridgeMethods {
	return EventBridgeMethods{PutEventsFunc: c.PutEvents}
}

var _ EventBridgeAPI = EventBridgeMethods{}

func (m EventBridgeMethods) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return m.PutEventsFunc(ctx, in, optFns...)
}
