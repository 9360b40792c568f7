package delivery

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
)

// ErrStaleState is what a StateStore's Put wraps when it refuses state
// older than what it holds: someone applied a newer event meanwhile.
var ErrStaleState = errors.New("state store holds a newer event")

// Visibility schedules a failed message's next attempt: SQS
// ChangeMessageVisibility on the queue (pkg/awsadapter), the embedded queue's
// ChangeVisibility locally (pkg/local).
type Visibility interface {
	ChangeVisibility(ctx context.Context, receiptHandle string, d time.Duration) error
}

// DeadLetters takes a message that is abandoned: the original body goes to
// the target's DLQ with the reason beside it (message attributes on SQS),
// so a redrive replays it unchanged. The handler then reports the message
// as processed, and the source queue deletes it.
type DeadLetters interface {
	DeadLetter(ctx context.Context, msg events.SQSMessage, r Reason) error
}

// AbandonedLog keeps one record per abandoned (target, subject, event), for
// people and reconciliation: the DLQ is drained by redrives, this is not.
type AbandonedLog interface {
	RecordAbandoned(ctx context.Context, a Abandoned) error
}

// Reason says why a message was abandoned. It carries the back-end's own
// code and message, never the data we sent.
type Reason struct {
	Cause        string    // why it was given up: CausePermanent, CauseBudget (empty when not known)
	Class        string    // fault class: transient, throttled, auth, permanent
	Status       int       // back-end status, 0 if none
	Code         string    // back-end error code
	Message      string    // back-end message (or ours, for a malformed message)
	Attempts     int       // deliveries so far
	FirstFailure time.Time // first receive of the message
	LastFailure  time.Time
}

// Reason attribute names, on the DLQ message and in `profilesync dlq list`.
const (
	AttrCause        = "failure_cause"
	AttrClass        = "failure_class"
	AttrStatus       = "failure_status"
	AttrCode         = "failure_code"
	AttrMessage      = "failure_message"
	AttrAttempts     = "attempts"
	AttrFirstFailure = "first_failure_at"
	AttrLastFailure  = "last_failure_at"
)

// maxReasonMessage keeps a back-end message within a message attribute's
// sensible size.
const maxReasonMessage = 512

// ReasonOf builds the reason of err on attempt a.
func ReasonOf(err error, a Attempt) Reason {
	fe := fault.As(err)
	msg := fe.Message
	if msg == "" && fe.Err != nil {
		msg = fe.Err.Error()
	}
	if len(msg) > maxReasonMessage {
		msg = msg[:maxReasonMessage]
	}
	return Reason{Class: fe.Class.String(), Status: fe.Status, Code: fe.Code, Message: msg,
		Attempts: a.N, FirstFailure: a.FirstFailure.UTC(), LastFailure: a.Now.UTC()}
}

// Attributes are the reason as string message attributes (empty ones left
// out: SQS refuses empty values).
func (r Reason) Attributes() map[string]string {
	m := map[string]string{
		AttrClass:        r.Class,
		AttrAttempts:     strconv.Itoa(r.Attempts),
		AttrFirstFailure: r.FirstFailure.UTC().Format(time.RFC3339Nano),
		AttrLastFailure:  r.LastFailure.UTC().Format(time.RFC3339Nano),
	}
	if r.Cause != "" {
		m[AttrCause] = r.Cause
	}
	if r.Status != 0 {
		m[AttrStatus] = strconv.Itoa(r.Status)
	}
	if r.Code != "" {
		m[AttrCode] = r.Code
	}
	if r.Message != "" {
		m[AttrMessage] = r.Message
	}
	return m
}

// String is the one-line reason: "permanent error: permanent (status 400)
// INVALID_EMAIL: bad after 1 attempt(s)".
func (r Reason) String() string {
	s := r.Class
	if r.Cause != "" {
		s = r.Cause + ": " + s
	}
	if r.Status != 0 {
		s += " (status " + strconv.Itoa(r.Status) + ")"
	}
	if r.Code != "" {
		s += " " + r.Code
	}
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s + " after " + strconv.Itoa(r.Attempts) + " attempt(s)"
}

// Abandoned is the record of one abandoned (target, subject, event).
type Abandoned struct {
	Target    string
	Subject   string // empty when the message could not be decoded
	EventID   string
	EventType string
	Source    string
	MessageID string
	Reason    Reason
}

// ReasonFromAttributes reads back what Attributes wrote (the DLQ message's
// attributes); missing or malformed ones stay zero.
func ReasonFromAttributes(m map[string]string) Reason {
	r := Reason{Cause: m[AttrCause], Class: m[AttrClass], Code: m[AttrCode], Message: m[AttrMessage]}
	r.Status, _ = strconv.Atoi(m[AttrStatus])
	r.Attempts, _ = strconv.Atoi(m[AttrAttempts])
	r.FirstFailure, _ = time.Parse(time.RFC3339Nano, m[AttrFirstFailure])
	r.LastFailure, _ = time.Parse(time.RFC3339Nano, m[AttrLastFailure])
	return r
}
