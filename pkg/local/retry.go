package local

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// RetryQueue is the sync handler's hold on one target's embedded queue: the
// local twin of the SQS adapter's ChangeMessageVisibility and DLQ
// SendMessage. A dead-lettered message moves to the DLQ as it is (id and
// receive count kept) with the reason added to its attributes.
type RetryQueue struct {
	Queues *Queues
	Target string
}

var (
	_ delivery.Visibility  = RetryQueue{}
	_ delivery.DeadLetters = RetryQueue{}
)

// ChangeVisibility reschedules a received message.
func (r RetryQueue) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error {
	return r.Queues.ChangeVisibility(ctx, receipt, min(d, maxVisibilityTimeout))
}

// DeadLetter moves msg to the target's DLQ with its reason.
func (r RetryQueue) DeadLetter(ctx context.Context, msg events.SQSMessage, reason delivery.Reason) error {
	return r.Queues.sendToDLQ(ctx, r.Target, msg, reason.String(), reason.Attributes())
}
