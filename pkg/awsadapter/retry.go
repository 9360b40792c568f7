package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// RetryAPI is the part of *sqs.Client that RetryQueue uses.
type RetryAPI interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// RetryQueue is the sync function's hold on its own queue (QUEUE_URL) and
// DLQ (DLQ_URL): it schedules a failed message's retry with
// ChangeMessageVisibility and dead-letters an abandoned one with
// SendMessage, the original body unchanged and the reason as message
// attributes. It needs sqs:ChangeMessageVisibility on the queue and
// sqs:SendMessage on the DLQ.
type RetryQueue struct {
	client   RetryAPI
	queueURL string
	dlqURL   string
}

var (
	_ delivery.Visibility  = (*RetryQueue)(nil)
	_ delivery.DeadLetters = (*RetryQueue)(nil)
)

// NewRetryQueue returns the retry and DLQ ports over queueURL and dlqURL.
func NewRetryQueue(client RetryAPI, queueURL, dlqURL string) *RetryQueue {
	return &RetryQueue{client: client, queueURL: queueURL, dlqURL: dlqURL}
}

// ChangeVisibility hides the message for d, rounded up to whole seconds.
func (q *RetryQueue) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error {
	secs := int32(min(math.Ceil(d.Seconds()), 12*60*60))
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          awssdk.String(q.queueURL),
		ReceiptHandle:     awssdk.String(receipt),
		VisibilityTimeout: max(secs, 0),
	})
	if err != nil {
		return fmt.Errorf("change visibility to %ds: %w", secs, err)
	}
	return nil
}

// DeadLetter sends msg's body to the DLQ. Its attributes are the reason
// first, then the original string attributes while SQS's ten allow.
func (q *RetryQueue) DeadLetter(ctx context.Context, msg events.SQSMessage, r delivery.Reason) error {
	if q.dlqURL == "" {
		return errors.New("dead-letter: no DLQ URL")
	}
	attrs := DeadLetterAttributes(msg, r)
	in := &sqs.SendMessageInput{QueueUrl: awssdk.String(q.dlqURL), MessageBody: awssdk.String(msg.Body),
		MessageAttributes: make(map[string]types.MessageAttributeValue, len(attrs))}
	for k, v := range attrs {
		in.MessageAttributes[k] = types.MessageAttributeValue{DataType: awssdk.String("String"), StringValue: awssdk.String(v)}
	}
	if _, err := q.client.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("dead-letter message %s: %w", msg.MessageId, err)
	}
	return nil
}

// DeadLetterAttributes are the string attributes a dead letter carries:
// the reason's, then msg's own in name order, at most ten in all.
func DeadLetterAttributes(msg events.SQSMessage, r delivery.Reason) map[string]string {
	out := r.Attributes()
	names := make([]string, 0, len(msg.MessageAttributes))
	for k := range msg.MessageAttributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := msg.MessageAttributes[k]
		if len(out) == maxAttributes {
			break
		}
		if _, taken := out[k]; taken || v.StringValue == nil || *v.StringValue == "" {
			continue
		}
		out[k] = *v.StringValue
	}
	return out
}
