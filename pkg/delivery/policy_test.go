package delivery

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
)

func TestPolicyDelay(t *testing.T) {
	p := Policy{Budget: time.Hour, BaseDelay: time.Second, MaxDelay: 10 * time.Second, Jitter: 0.5,
		Rand: func() float64 { return 1 }} // the largest jitter: half the delay taken off
	now := t0.Add(time.Minute)
	transient := errors.New("connection reset")
	throttled := &fault.Error{Class: fault.Throttled, Status: 429, RetryAfter: 42 * time.Second}
	tests := []struct {
		name string
		n    int
		now  time.Time
		err  error
		want time.Duration
	}{
		{"first retry", 1, now, transient, 500 * time.Millisecond},
		{"doubles", 3, now, transient, 2 * time.Second},
		{"capped", 5, now, transient, 5 * time.Second},
		{"still capped after many attempts", 200, now, transient, 5 * time.Second},
		{"Retry-After wins over a shorter backoff", 1, now, throttled, 42 * time.Second},
		{"never past the end of the budget", 5, t0.Add(time.Hour - 2*time.Second), transient, 2 * time.Second},
		{"Retry-After, too, ends with the budget", 1, t0.Add(time.Hour - 10*time.Second), throttled, 10 * time.Second},
	}
	for _, tc := range tests {
		got := p.Delay(Attempt{N: tc.n, FirstFailure: t0, Now: tc.now}, tc.err)
		if got != tc.want {
			t.Errorf("%s: delay %s, want %s", tc.name, got, tc.want)
		}
	}
	long := Policy{Budget: 3 * 24 * time.Hour}
	if d := long.Delay(Attempt{N: 1, FirstFailure: t0, Now: now}, &fault.Error{Class: fault.Throttled, RetryAfter: 48 * time.Hour}); d != 12*time.Hour {
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
	p := Policy{Budget: time.Hour}
	perm := fault.New(fault.Permanent, 400, "INVALID_EMAIL_ADDRESS", "bad email")
	tests := []struct {
		name  string
		n     int
		age   time.Duration
		err   error
		cause string // "" for a retry
	}{
		{"permanent: at once", 1, 0, perm, CausePermanent},
		{"budget left", 2, 59 * time.Minute, errors.New("x"), ""},
		{"many attempts, budget left", 500, 10 * time.Minute, errors.New("x"), ""},
		{"budget spent", 3, time.Hour, errors.New("x"), CauseBudget},
		{"throttled, budget spent", 9, 3 * time.Hour, &fault.Error{Class: fault.Throttled}, CauseBudget},
		{"refused credentials, budget left", 9, 30 * time.Minute, &fault.Error{Class: fault.Auth}, ""},
	}
	for _, tc := range tests {
		cause, abandon := p.Abandon(Attempt{N: tc.n, FirstFailure: t0, Now: t0.Add(tc.age)}, tc.err)
		if cause != tc.cause || abandon != (tc.cause != "") {
			t.Errorf("%s: abandon %v (%q), want %q", tc.name, abandon, cause, tc.cause)
		}
	}
}

// The queue's receive count lets the schedule run out the budget even when
// every delay draws its shortest jitter; and it stays within SQS's 1,000.
func TestPolicyReceives(t *testing.T) {
	for _, tc := range []struct {
		budget time.Duration
		want   int
	}{
		{time.Minute, 0}, {time.Hour, 0}, {24 * time.Hour, 0}, {MaxBudget, 0},
	} {
		p := Policy{Budget: tc.budget}
		n := p.Receives()
		// Walk the schedule at its shortest delays and at its longest: the
		// budget runs out at or before n-2 receives either way.
		for _, r := range []float64{1, 0} {
			q := p.withDefaults()
			q.Rand = func() float64 { return r }
			at, abandonedAt := t0, 0
			for i := 1; i <= n; i++ {
				a := Attempt{N: i, FirstFailure: t0, Now: at}
				if _, done := q.Abandon(a, errors.New("503")); done {
					abandonedAt = i
					break
				}
				at = at.Add(q.Delay(a, errors.New("503")))
			}
			if abandonedAt == 0 || abandonedAt > n-spareReceives {
				t.Errorf("budget %s, rand %v: abandoned at receive %d of %d (want <= %d)", tc.budget, r, abandonedAt, n, n-spareReceives)
			}
		}
		if n > 1000 {
			t.Errorf("budget %s: %d receives, above SQS's 1000", tc.budget, n)
		}
	}
	if got := (Policy{}).Receives(); got != 202 {
		t.Errorf("24 h default: %d receives, want 202 (README says so)", got)
	}
	if got, want := (Policy{TimeScale: 720}).Receives(), (Policy{}).Receives(); got != want {
		t.Errorf("time scale changed the receive count: %d, want %d", got, want)
	}
	if got := (Policy{Budget: 3 * 24 * time.Hour}).Retention(); got != 4*24*time.Hour {
		t.Errorf("retention of a 3-day budget %s, want 4 days", got)
	}
	if got := (Policy{Budget: 30 * 24 * time.Hour}).Retention(); got > 14*24*time.Hour {
		t.Errorf("retention %s beyond SQS's 14 days", got)
	}
}

// TimeScale compresses every duration alike.
func TestPolicyTimeScale(t *testing.T) {
	p := Policy{TimeScale: 720, Rand: func() float64 { return 0 }}.withDefaults()
	if p.Budget != 2*time.Minute || p.MaxDelay != 1250*time.Millisecond || p.BaseDelay != 5*time.Second/720 {
		t.Errorf("scaled policy %+v", p)
	}
	if _, done := (Policy{TimeScale: 720}).Abandon(Attempt{N: 50, FirstFailure: t0, Now: t0.Add(2 * time.Minute)}, errors.New("x")); !done {
		t.Error("a 24 h budget at x720 is not spent after 2 minutes")
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
		"only BaseDelay": {BaseDelay: time.Second},
		"only MaxDelay":  {MaxDelay: time.Minute},
		"ForTarget":      Policy{}.ForTarget(mapping.Delivery{}),
		"only TimeScale": {TimeScale: 1},
	} {
		got := p.withDefaults()
		if got.Budget != d.Budget || got.Jitter != d.Jitter || (name != "only MaxDelay" && got.MaxDelay != d.MaxDelay) {
			t.Errorf("%s: budget %s, jitter %v, max delay %s; want the defaults %s, %v, %s",
				name, got.Budget, got.Jitter, got.MaxDelay, d.Budget, d.Jitter, d.MaxDelay)
		}
	}
	if got := (Policy{}).ForTarget(mapping.Delivery{OutageBudget: 3 * time.Hour}).Budget; got != 3*time.Hour {
		t.Errorf("ForTarget budget %s, want the mapping's 3h", got)
	}
	if got := (Policy{Budget: time.Minute}).ForTarget(mapping.Delivery{OutageBudget: 3 * time.Hour}).Budget; got != time.Minute {
		t.Errorf("ForTarget overrode a set budget: %s", got)
	}
	if off := (Policy{Jitter: NoJitter}).withDefaults(); off.Jitter != 0 {
		t.Errorf("NoJitter: jitter %v, want off", off.Jitter)
	}
	// A partial policy dead-letters only after the default budget: attempt
	// 6 five minutes into an outage is retried.
	if _, done := (Policy{BaseDelay: time.Second}).Abandon(Attempt{N: 6, FirstFailure: t0, Now: t0.Add(5 * time.Minute)}, errors.New("503")); done {
		t.Error("a policy with only BaseDelay abandoned inside the default budget")
	}
}
