package delivery

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestPolicyDelay(t *testing.T) {
	p := Policy{MaxAttempts: 6, MinWindow: time.Hour, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Jitter: 0.5,
		Rand: func() float64 { return 1 }} // the largest jitter: half the delay taken off
	now := t0.Add(time.Minute)
	transient := errors.New("connection reset")
	throttled := &fault.Error{Class: fault.Throttled, Status: 429, RetryAfter: 42 * time.Second}
	tests := []struct {
		name string
		n    int
		err  error
		want time.Duration
	}{
		{"first retry", 1, transient, 500 * time.Millisecond},
		{"doubles", 3, transient, 2 * time.Second},
		{"capped", 5, transient, 5 * time.Second},
		{"Retry-After wins over a shorter backoff", 1, throttled, 42 * time.Second},
		{"attempts spent before the window: wait it out", 6, transient, 59 * time.Minute},
	}
	for _, tc := range tests {
		got := p.Delay(Attempt{N: tc.n, FirstFailure: t0, Now: now}, tc.err)
		if got != tc.want {
			t.Errorf("%s: delay %s, want %s", tc.name, got, tc.want)
		}
	}
	if d := p.Delay(Attempt{N: 1, FirstFailure: t0, Now: now}, &fault.Error{Class: fault.Throttled, RetryAfter: 48 * time.Hour}); d != 12*time.Hour {
		t.Errorf("delay beyond SQS's 12 h ceiling: %s", d)
	}
}

func TestPolicyJitterStaysInRange(t *testing.T) {
	p := Policy{BaseDelay: 8 * time.Second, MaxDelay: time.Minute, Jitter: 0.5}
	for range 1000 {
		d := p.Delay(Attempt{N: 1, FirstFailure: t0, Now: t0}, errors.New("x"))
		if d < 4*time.Second || d > 8*time.Second {
			t.Fatalf("delay %s outside [4s, 8s]", d)
		}
	}
}

func TestPolicyAbandon(t *testing.T) {
	p := Policy{MaxAttempts: 3, MinWindow: time.Hour}
	perm := fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email")
	tests := []struct {
		name string
		n    int
		age  time.Duration
		err  error
		want bool
	}{
		{"permanent: at once", 1, 0, perm, true},
		{"attempts left", 2, 2 * time.Hour, errors.New("x"), false},
		{"attempts spent, window not", 3, 10 * time.Minute, errors.New("x"), false},
		{"both spent", 3, time.Hour, errors.New("x"), true},
		{"throttled, both spent", 9, 3 * time.Hour, &fault.Error{Class: fault.Throttled}, true},
	}
	for _, tc := range tests {
		if got := p.Abandon(Attempt{N: tc.n, FirstFailure: t0, Now: t0.Add(tc.age)}, tc.err); got != tc.want {
			t.Errorf("%s: abandon %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAttemptOf(t *testing.T) {
	now := t0.Add(time.Hour)
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	a := AttemptOf(events.SQSMessage{Attributes: map[string]string{
		"ApproximateReceiveCount": "4", "SentTimestamp": ms(t0.Add(-time.Minute)), "ApproximateFirstReceiveTimestamp": ms(t0),
	}}, now)
	if a.N != 4 || !a.FirstFailure.Equal(t0) || !a.Now.Equal(now) {
		t.Errorf("attempt %+v", a)
	}
	a = AttemptOf(events.SQSMessage{Attributes: map[string]string{"SentTimestamp": ms(t0)}}, now)
	if a.N != 1 || !a.FirstFailure.Equal(t0) {
		t.Errorf("attempt from SentTimestamp only: %+v", a)
	}
	if a = AttemptOf(events.SQSMessage{}, now); a.N != 1 || !a.FirstFailure.Equal(now) {
		t.Errorf("attempt without attributes: %+v", a)
	}
}

// Setting one field of a Policy must not clear the others: the sync
// function once set only MaxAttempts and so ran with no window and no
// jitter, dead-lettering every message of a 3-minute outage.
func TestPartialPolicyKeepsDefaults(t *testing.T) {
	d := DefaultPolicy
	for name, p := range map[string]Policy{
		"only MaxAttempts": {MaxAttempts: 6},
		"only BaseDelay":   {BaseDelay: time.Second},
		"ForQueue":         Policy{}.ForQueue(8),
	} {
		got := p.withDefaults()
		if got.MinWindow != d.MinWindow || got.Jitter != d.Jitter || got.MaxDelay != d.MaxDelay {
			t.Errorf("%s: window %s, jitter %v, max delay %s; want the defaults %s, %v, %s",
				name, got.MinWindow, got.Jitter, got.MaxDelay, d.MinWindow, d.Jitter, d.MaxDelay)
		}
	}
	if got := (Policy{}).ForQueue(8).MaxAttempts; got != 6 {
		t.Errorf("ForQueue(8).MaxAttempts = %d, want 8 less the 2 spare receives", got)
	}
	if got := (Policy{MaxAttempts: 16}).ForQueue(18).MaxAttempts; got != 16 {
		t.Errorf("ForQueue keeps a set MaxAttempts: got %d", got)
	}
	if got := (Policy{}).ForQueue(1).MaxAttempts; got != 1 {
		t.Errorf("ForQueue(1).MaxAttempts = %d, want at least 1", got)
	}
	off := Policy{MinWindow: NoWindow, Jitter: NoJitter}.withDefaults()
	if off.MinWindow != 0 || off.Jitter != 0 {
		t.Errorf("NoWindow/NoJitter: window %s, jitter %v; want both off", off.MinWindow, off.Jitter)
	}
	// A partial policy abandons only after the default window: attempt 6
	// of 6 five minutes into an outage is retried, not dead-lettered.
	a := Attempt{N: 6, FirstFailure: t0, Now: t0.Add(5 * time.Minute)}
	if (Policy{MaxAttempts: 6}).Abandon(a, errors.New("503")) {
		t.Error("a policy with only MaxAttempts abandoned inside the default one-hour window")
	}
}
