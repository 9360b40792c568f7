package ingress

import "context"

// Message is one queue message: an encoded profile.Envelope.
type Message struct {
	// ID is unique within one SendBatch call (SQS batch entry id rules:
	// letters, digits, '-' and '_', at most 80 characters).
	ID   string
	Body []byte
	// Attributes are string message attributes (event type, source, event id)
	// so operators can read a DLQ message's gist without decoding it.
	Attributes map[string]string
}

// Queue is the per-target queue the ingress writes to. The SQS adapter
// (pkg/awsadapter) and the embedded one (pkg/local) both satisfy it.
type Queue interface {
	// SendBatch enqueues msgs on target's queue. It returns nil only when
	// every message was accepted; on error some may have been, and the
	// caller answers 5xx so the CIAM resends (consumers are idempotent).
	SendBatch(ctx context.Context, target string, msgs []Message) error
}
