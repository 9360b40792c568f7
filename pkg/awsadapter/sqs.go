package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// SQS batch limits. The payload limit is the classic 256 KiB: AWS has since
// raised a queue's maximum to 1 MiB, but 256 KiB holds for every queue and
// for other SQS-compatible endpoints.
const (
	maxBatchEntries = 10
	maxBatchBytes   = 256 << 10
	maxAttributes   = 10
)

// SQSAPI is the part of *sqs.Client that Queues uses.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// ErrNoQueue reports a target without a queue URL; see NewQueues.
var ErrNoQueue = errors.New("no queue for target")

// Queues is the ingress.Queue over SQS: one standard queue per target.
type Queues struct {
	client SQSAPI
	urls   map[string]string
}

var _ ingress.Queue = (*Queues)(nil)

// NewQueues returns Queues sending to urls (target name → queue URL, the
// QUEUE_URLS environment variable of the ingress Lambda).
func NewQueues(client SQSAPI, urls map[string]string) *Queues {
	own := make(map[string]string, len(urls))
	for k, v := range urls {
		own[k] = v
	}
	return &Queues{client: client, urls: own}
}

// SendBatch sends msgs to target's queue in SendMessageBatch calls of at
// most 10 entries and 256 KiB. It stops at the first call that fails or has
// failed entries; earlier calls' messages stay enqueued (consumers are
// idempotent, and the caller's 5xx makes the CIAM resend). Errors carry
// counts, entry ids and SQS error codes, never message bodies.
func (q *Queues) SendBatch(ctx context.Context, target string, msgs []ingress.Message) error {
	url, ok := q.urls[target]
	if !ok {
		return fmt.Errorf("sqs send to %q: %w", target, ErrNoQueue)
	}
	entries := make([]types.SendMessageBatchRequestEntry, len(msgs))
	sizes := make([]int, len(msgs))
	for i, m := range msgs {
		e, size, err := entry(i, m)
		if err != nil {
			return fmt.Errorf("sqs send to %s: %w", target, err)
		}
		entries[i], sizes[i] = e, size
	}
	for _, c := range chunk(sizes) {
		if err := q.send(ctx, url, entries[c.from:c.to]); err != nil {
			return fmt.Errorf("sqs send to %s (messages %d-%d of %d): %w", target, c.from+1, c.to, len(msgs), err)
		}
	}
	return nil
}

func (q *Queues) send(ctx context.Context, url string, entries []types.SendMessageBatchRequestEntry) error {
	out, err := q.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: awssdk.String(url), Entries: entries})
	if err != nil {
		return err
	}
	if len(out.Failed) == 0 {
		return nil
	}
	return &BatchError{Sent: len(entries) - len(out.Failed), Failed: out.Failed}
}

// BatchError reports the entries SQS refused in one SendMessageBatch call.
type BatchError struct {
	Sent   int
	Failed []types.BatchResultErrorEntry
}

func (e *BatchError) Error() string {
	codes := map[string]int{}
	ids := make([]string, 0, len(e.Failed))
	for _, f := range e.Failed {
		code := awssdk.ToString(f.Code)
		if f.SenderFault {
			code += " (sender fault)"
		}
		codes[code]++
		ids = append(ids, awssdk.ToString(f.Id))
	}
	parts := make([]string, 0, len(codes))
	for c, n := range codes {
		parts = append(parts, fmt.Sprintf("%d× %s", n, c))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d of %d messages failed: %s; ids %s",
		len(e.Failed), e.Sent+len(e.Failed), strings.Join(parts, ", "), strings.Join(ids, ","))
}

// entry converts m and returns the bytes SQS counts against its size limits
// (body plus attribute names, types and values).
func entry(i int, m ingress.Message) (types.SendMessageBatchRequestEntry, int, error) {
	id := m.ID
	if id == "" {
		id = "m" + strconv.Itoa(i)
	}
	if len(m.Attributes) > maxAttributes {
		return types.SendMessageBatchRequestEntry{}, 0, fmt.Errorf("message %s has %d attributes, SQS allows %d", id, len(m.Attributes), maxAttributes)
	}
	size := len(m.Body)
	var attrs map[string]types.MessageAttributeValue
	for k, v := range m.Attributes {
		if v == "" {
			continue // SQS refuses empty attribute values; absent says the same.
		}
		if attrs == nil {
			attrs = make(map[string]types.MessageAttributeValue, len(m.Attributes))
		}
		attrs[k] = types.MessageAttributeValue{DataType: awssdk.String("String"), StringValue: awssdk.String(v)}
		size += len(k) + len("String") + len(v)
	}
	return types.SendMessageBatchRequestEntry{
		Id:                awssdk.String(id),
		MessageBody:       awssdk.String(string(m.Body)),
		MessageAttributes: attrs,
	}, size, nil
}

type span struct{ from, to int }

// chunk splits messages of the given sizes into consecutive batches within
// SQS's entry and byte limits. A message larger than the byte limit goes
// alone, and SQS decides whether the queue takes it.
func chunk(sizes []int) []span {
	var out []span
	from, total := 0, 0
	for i, s := range sizes {
		if i > from && (i-from == maxBatchEntries || total+s > maxBatchBytes) {
			out = append(out, span{from, i})
			from, total = i, 0
		}
		total += s
	}
	if from < len(sizes) {
		out = append(out, span{from, len(sizes)})
	}
	return out
}
