package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// DLQAPI is the part of *sqs.Client that DLQ uses.
type DLQAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, optFns ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, optFns ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
}

// DLQ is one target's dead-letter queue on SQS, for `profilesync dlq`.
type DLQ struct {
	client   DLQAPI
	queueURL string // the source queue, where a redrive sends messages
	dlqURL   string
}

// NewDLQ returns the DLQ at dlqURL whose source queue is queueURL.
func NewDLQ(client DLQAPI, queueURL, dlqURL string) *DLQ {
	return &DLQ{client: client, queueURL: queueURL, dlqURL: dlqURL}
}

// DeadLetter is one DLQ message: its id, its attributes (the reason among
// them) and its body's size; never the body.
type DeadLetter struct {
	ID         string
	Attributes map[string]string // string message attributes
	BodyBytes  int
	SentAt     time.Time
	Receives   int
}

// List peeks at up to max dead letters: each received message is made
// visible again at once, so it stays available to a redrive. (The SDK
// leaves a zero VisibilityTimeout out of ReceiveMessage, so the reset is a
// ChangeMessageVisibilityBatch.)
func (d *DLQ) List(ctx context.Context, max int) ([]DeadLetter, error) {
	seen := map[string]bool{}
	var out []DeadLetter
	for empty := 0; empty < 3 && len(out) < max; {
		res, err := d.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(d.dlqURL), MaxNumberOfMessages: int32(min(10, max-len(out))),
			VisibilityTimeout: 30, MessageAttributeNames: []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		if err := d.release(ctx, res.Messages); err != nil {
			return nil, err
		}
		fresh := 0
		for _, m := range res.Messages {
			id := awssdk.ToString(m.MessageId)
			if seen[id] {
				continue
			}
			seen[id], fresh = true, fresh+1
			rec := LambdaRecord(m, "")
			dl := DeadLetter{ID: id, Attributes: map[string]string{}, BodyBytes: len(rec.Body)}
			for k, v := range rec.MessageAttributes {
				if v.StringValue != nil {
					dl.Attributes[k] = *v.StringValue
				}
			}
			if ms, err := strconv.ParseInt(rec.Attributes["SentTimestamp"], 10, 64); err == nil {
				dl.SentAt = time.UnixMilli(ms)
			}
			dl.Receives, _ = strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
			out = append(out, dl)
		}
		if fresh == 0 {
			empty++
		}
	}
	return out, nil
}

// StartRedrive starts an SQS message move task from the DLQ back to its
// source queue — the console's "Start DLQ redrive" — and returns its
// handle. SQS moves the messages unchanged, attributes included.
func (d *DLQ) StartRedrive(ctx context.Context) (string, error) {
	src, err := d.arn(ctx, d.dlqURL)
	if err != nil {
		return "", err
	}
	dst, err := d.arn(ctx, d.queueURL)
	if err != nil {
		return "", err
	}
	out, err := d.client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: awssdk.String(src), DestinationArn: awssdk.String(dst)})
	if err != nil {
		return "", fmt.Errorf("start redrive: %w", err)
	}
	return awssdk.ToString(out.TaskHandle), nil
}

// RedriveTasks lists the DLQ's recent move tasks, newest first.
func (d *DLQ) RedriveTasks(ctx context.Context) ([]types.ListMessageMoveTasksResultEntry, error) {
	src, err := d.arn(ctx, d.dlqURL)
	if err != nil {
		return nil, err
	}
	out, err := d.client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: awssdk.String(src), MaxResults: awssdk.Int32(10)})
	if err != nil {
		return nil, fmt.Errorf("list redrive tasks: %w", err)
	}
	return out.Results, nil
}

// MoveBack is a client-side redrive for SQS endpoints without message move
// tasks: receive from the DLQ, send the body and attributes to the source
// queue, then delete. A crash between send and delete leaves a duplicate,
// which the sync handler's idempotency makes harmless.
func (d *DLQ) MoveBack(ctx context.Context) (int, error) {
	n := 0
	for {
		res, err := d.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(d.dlqURL), MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return n, fmt.Errorf("move back: receive: %w", err)
		}
		if len(res.Messages) == 0 {
			return n, nil
		}
		for _, m := range res.Messages {
			if _, err := d.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: awssdk.String(d.queueURL),
				MessageBody: m.Body, MessageAttributes: m.MessageAttributes}); err != nil {
				return n, fmt.Errorf("move back %s: send: %w", awssdk.ToString(m.MessageId), err)
			}
			if _, err := d.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: awssdk.String(d.dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return n, fmt.Errorf("move back %s: delete: %w", awssdk.ToString(m.MessageId), err)
			}
			n++
		}
	}
}

// release makes received messages visible again.
func (d *DLQ) release(ctx context.Context, ms []types.Message) error {
	if len(ms) == 0 {
		return nil
	}
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(ms))
	for i, m := range ms {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: awssdk.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	out, err := d.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: awssdk.String(d.dlqURL), Entries: entries})
	if err == nil && len(out.Failed) > 0 {
		err = fmt.Errorf("%d of %d refused, first %s", len(out.Failed), len(ms), awssdk.ToString(out.Failed[0].Code))
	}
	if err != nil {
		return fmt.Errorf("list dead letters: make visible again: %w", err)
	}
	return nil
}

func (d *DLQ) arn(ctx context.Context, url string) (string, error) {
	out, err := d.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: awssdk.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("queue arn of %s: %w", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", errors.New("queue arn of " + url + ": none returned")
	}
	return arn, nil
}

// LambdaRecord shapes a received SQS message as the sync function's event
// record, as the Lambda event source mapping does.
func LambdaRecord(m types.Message, queueARN string) events.SQSMessage {
	rec := events.SQSMessage{
		MessageId: awssdk.ToString(m.MessageId), ReceiptHandle: awssdk.ToString(m.ReceiptHandle),
		Body: awssdk.ToString(m.Body), Md5OfBody: awssdk.ToString(m.MD5OfBody),
		Attributes: map[string]string{}, MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource: "aws:sqs", EventSourceARN: queueARN,
	}
	for k, v := range m.Attributes {
		rec.Attributes[k] = v
	}
	for k, v := range m.MessageAttributes {
		rec.MessageAttributes[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: awssdk.ToString(v.DataType)}
	}
	return rec
}
