package ingress

import "context"

// Verdict is what became of one webhook POST, for the per-source metrics:
// accepted with how many events and messages, rejected (the sender's
// fault: 4xx) or unavailable (ours: 503, the sender retries), with a
// reason code. Codes and source names only: nothing of the body.
type Verdict struct {
	// Source is the source name of the path; UnknownSource when no source
	// has that name (the path is the sender's to choose, and a metric per
	// made-up name would cost one each).
	Source      string
	Accepted    bool
	Unavailable bool
	Reason      string // a Reason* code when not accepted
	Events      int    // events the request carried, when accepted
	Enqueued    int    // messages enqueued, when accepted
}

// Meter hears of every POST's verdict (pkg/metrics writes them as
// CloudWatch metrics). It must not block: it runs before the answer.
type Meter interface {
	Webhook(ctx context.Context, v Verdict)
}

// UnknownSource is the Verdict.Source of a POST to a source not configured.
const UnknownSource = "unknown"

// The reason codes of a Verdict, one per way the handler answers other
// than 2xx.
const (
	// Rejected (4xx).
	ReasonUnknownSource = "unknown_source" // 404: no such source configured
	ReasonTooLarge      = "too_large"      // 413: over MaxBody
	ReasonEmptyBody     = "empty_body"     // 400
	ReasonMalformed     = "malformed"      // 400: bad base64, or the source could not parse it
	ReasonBadSignature  = "bad_signature"  // 401: signature or token missing or wrong (a secret out of step?)
	ReasonInvalidEvent  = "invalid_event"  // 400: parsed, but an event failed validation
	// Unavailable (503).
	ReasonVerifierDown  = "verification_unavailable"   // a key server or similar dependency failed
	ReasonBodyStore     = "body_store_unavailable"     // an oversized envelope could not be stored aside
	ReasonEnqueueFailed = "enqueue_failed"             // a queue refused the batch
	ReasonErasureLedger = "erasure_ledger_unavailable" // a delete's pending erasures could not be recorded
)

func rejectedAs(source, reason string) Verdict { return Verdict{Source: source, Reason: reason} }

func unavailable(source, reason string) Verdict {
	return Verdict{Source: source, Unavailable: true, Reason: reason}
}
