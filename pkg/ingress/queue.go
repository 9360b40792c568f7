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

// BodyStore keeps envelopes too large for a queue message, for the sync
// function to read back (pkg/local's file store locally). Put under the
// same key twice stores the same body: keys are derived from the body, so
// a CIAM's resend overwrites its first attempt.
type BodyStore interface {
	Put(ctx context.Context, key string, body []byte) error
}

// size is m's size as SQS counts it against the message limit: body and
// every attribute's name, type and value.
func (m Message) size() int {
	n := len(m.Body)
	for k, v := range m.Attributes {
		n += len(k) + len("String") + len(v)
	}
	return n
}
