package delivery

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// withQueue gives the rig's handler in-memory retry, DLQ, abandoned and
// notice ports, and a fixed clock.
func withQueue(r *rig) (*MemoryQueue, *MemoryNotifier) {
	q, n := &MemoryQueue{}, &MemoryNotifier{}
	r.h.Visibility, r.h.DeadLetters, r.h.Abandoned, r.h.Notifier = q, q, q, n
	r.h.Policy = Policy{Budget: 3 * time.Hour, BaseDelay: time.Second, Jitter: 0.01}
	r.h.Now = func() time.Time { return t0.Add(2 * time.Hour) }
	return q, n
}

// received marks a batch's messages as received n times, first at t0.
func received(ev events.SQSEvent, n int) events.SQSEvent {
	for i := range ev.Records {
		ev.Records[i].ReceiptHandle = "rh-" + ev.Records[i].MessageId
		ev.Records[i].Attributes = map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(n),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(t0.UnixMilli(), 10),
		}
	}
	return ev
}

func TestPermanentErrorGoesToDLQAtOnce(t *testing.T) {
	r := newRig(t, nil)
	q, n := withQueue(r)
	r.h.Connector = &failKeys{inner: r.h.Connector, errs: map[string]error{"u-1": fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email")}}
	ev := received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane")),
		event("e2", profile.Created, "u-2", t0, func() *profile.Profile { p := jane("Bob"); p.Sub = "u-2"; return p }())), 1)
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("abandoned message must count as processed: %+v %v", resp, err)
	}
	dead := q.Dead()
	if len(dead) != 1 || dead[0].Msg.MessageId != "msg-a" || dead[0].Msg.Body != ev.Records[0].Body {
		t.Fatalf("dead letters %+v", dead)
	}
	attrs := dead[0].Reason.Attributes()
	want := map[string]string{AttrCause: CausePermanent, AttrClass: "permanent", AttrStatus: "400", AttrCode: "INVALID_EMAIL_ADDRESS", AttrAttempts: "1",
		AttrFirstFailure: t0.Format(time.RFC3339Nano), AttrLastFailure: t0.Add(2 * time.Hour).Format(time.RFC3339Nano)}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("reason %s = %q, want %q", k, attrs[k], v)
		}
	}
	ab := q.AbandonedRecords()
	if len(ab) != 1 || ab[0].Subject != "u-1" || ab[0].EventID != "e1" || ab[0].Reason.Code != "INVALID_EMAIL_ADDRESS" {
		t.Errorf("abandoned records %+v", ab)
	}
	calls := n.Calls()
	if len(calls) != 1 || len(calls[0]) != 2 {
		t.Fatalf("want one Notify call with two notices, got %+v", calls)
	}
	if a, s := calls[0][0], calls[0][1]; a.Type != NoticeAbandoned || a.EventID != "e1" || a.Attempts != 1 ||
		s.Type != NoticeSynced || s.EventID != "e2" || s.Outcome != string(Delivered) || s.RecordID == "" {
		t.Errorf("notices %+v", calls[0])
	}
}

func TestTransientErrorIsRescheduledUntilTheBudgetIsSpent(t *testing.T) {
	r := newRig(t, nil)
	q, _ := withQueue(r)
	ev := batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane")))
	for _, tc := range []struct {
		n       int
		now     time.Time
		retried bool
		atLeast time.Duration
	}{
		{1, t0, true, 900 * time.Millisecond},
		{30, t0.Add(10 * time.Minute), true, 7 * time.Minute}, // many attempts, budget left: keep going at the cap
		{31, t0.Add(179 * time.Minute), true, 0},              // the last retry comes at the budget's end
		{32, t0.Add(3 * time.Hour), false, 0},                 // budget spent
	} {
		r.fake.FailNext(1, 503, "SERVER_UNAVAILABLE")
		r.h.Now = func() time.Time { return tc.now }
		resp, _ := r.h.Handle(context.Background(), received(ev, tc.n))
		if got := len(resp.BatchItemFailures) == 1; got != tc.retried {
			t.Fatalf("attempt %d: retried %v, want %v", tc.n, got, tc.retried)
		}
		d, ok := q.Delay("rh-msg-a")
		if tc.retried && (!ok || d < tc.atLeast) {
			t.Errorf("attempt %d: delay %s (set %v), want at least %s", tc.n, d, ok, tc.atLeast)
		}
	}
	if dead := q.Dead(); len(dead) != 1 || dead[0].Reason.Class != "transient" || dead[0].Reason.Attempts != 32 ||
		dead[0].Reason.Status != 503 || dead[0].Reason.Cause != CauseBudget || dead[0].Reason.Attributes()[AttrCause] != CauseBudget {
		t.Fatalf("dead %+v", dead)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	r := newRig(t, nil)
	q, _ := withQueue(r)
	r.h.Connector = &failWith{err: &fault.Error{Class: fault.Throttled, Status: 429, RetryAfter: 90 * time.Second}}
	r.h.Now = func() time.Time { return t0.Add(time.Minute) } // well inside the budget
	resp, _ := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))), 1))
	if d, _ := q.Delay("rh-msg-a"); len(resp.BatchItemFailures) != 1 || d != 90*time.Second {
		t.Fatalf("failures %v delay %s", resp.BatchItemFailures, d)
	}
}

func TestWithoutPortsFailuresAreReported(t *testing.T) {
	r := newRig(t, nil)
	r.fake.FailNext(1, 400, "INVALID_EMAIL_ADDRESS")
	resp, _ := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))), 9))
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("with no DLQ port the queue's redrive policy must see the failure: %+v", resp)
	}
}

func TestDeadLetterFailureMeansRetry(t *testing.T) {
	r := newRig(t, nil)
	withQueue(r)
	r.h.DeadLetters = deadLetterFunc(func() error { return errors.New("sqs down") })
	r.fake.FailNext(1, 400, "INVALID_EMAIL_ADDRESS")
	resp, _ := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))), 1))
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a message the DLQ did not take must stay on the queue: %+v", resp)
	}
}

func TestNotifierFailureNeverFailsDelivery(t *testing.T) {
	r := newRig(t, nil)
	_, n := withQueue(r)
	n.Err = errors.New("eventbridge down")
	resp, _ := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))), 1))
	if len(resp.BatchItemFailures) != 0 || len(contacts(r)) != 1 || len(n.Calls()) != 1 {
		t.Fatalf("resp %+v contacts %v", resp, contacts(r))
	}
}

// A scheduled retry is told to the Retries port (the local stack's
// `send` reads it) with the failure's class, and never to the Notifier
// (the EventBridge bus on AWS).
func TestRetryIsToldToRetriesOnly(t *testing.T) {
	r := newRig(t, nil)
	_, n := withQueue(r)
	retries := &MemoryNotifier{}
	r.h.Retries = retries
	r.h.Now = func() time.Time { return t0.Add(time.Minute) }
	r.fake.FailNext(1, 503, "SERVER_UNAVAILABLE")
	resp, _ := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, jane("Jane"))), 1))
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("want the message retried: %+v", resp)
	}
	calls := retries.Calls()
	if len(calls) != 1 || len(calls[0]) != 1 {
		t.Fatalf("retry notices %+v, want one", calls)
	}
	if got := calls[0][0]; got.Type != NoticeRetrying || got.Class != "transient" || got.EventID != "e1" || got.Attempts != 1 ||
		!strings.Contains(got.Reason, "503") {
		t.Errorf("retry notice %+v", got)
	}
	if len(n.Calls()) != 0 {
		t.Errorf("the Notifier heard of a retry: %+v", n.Calls())
	}
}
