package delivery

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// Policy decides when a failed message is tried again and when it is
// abandoned. Classification stays in pkg/fault; this is only about time.
//
// A target may be down for its outage budget (default 24 hours): a message
// that keeps failing with a transient, throttled or auth error is retried
// with capped exponential backoff and jitter until Budget has passed since
// its first failure, and only then dead-lettered, with the cause "outage
// budget spent". A permanent error is dead-lettered at once. Receives is
// the queue's maxReceiveCount that lets the schedule run out its budget;
// SQS's own redrive at that count is a backstop for a handler that dies
// mid-batch, not the retry policy.
//
// Every zero field takes its default from DefaultPolicy, so setting one
// field never clears another; NoJitter switches the jitter off.
type Policy struct {
	// Budget is how long a target may fail before its messages are
	// dead-lettered (default 24 h, at most MaxBudget).
	Budget    time.Duration
	BaseDelay time.Duration // first retry delay (default 5 s)
	MaxDelay  time.Duration // cap of one delay (default 15 min, or Budget/400 when longer; SQS allows 12 h)
	// Jitter is the fraction of each delay drawn at random (0..1, default
	// 0.5; NoJitter: none): equal jitter keeps retries of one outage from
	// arriving together.
	Jitter float64
	// TimeScale divides every duration above (0 or 1: real time). The chaos
	// harness runs a 24-hour budget in minutes with it; the schedule's
	// shape, and so Receives, do not change.
	TimeScale float64
	// Rand returns a float in [0,1); default math/rand/v2.
	Rand func() float64
}

// NoJitter switches off what a zero Jitter would default.
const NoJitter float64 = -1

// Limits of the budget (pkg/mapping holds them, for the mapping files'
// validation): SQS keeps a message at most 14 days, and the queue's
// retention is the budget plus RetentionMargin.
const (
	DefaultBudget   = mapping.DefaultOutageBudget
	RetentionMargin = mapping.RetentionMargin
	MaxBudget       = mapping.MaxOutageBudget
)

// budgetPerCap is how many capped delays a budget may take at most: with
// equal jitter (each delay at least half the cap) that stays below SQS's
// 1,000 receives.
const budgetPerCap = 400

// maxVisibility is SQS's ceiling for ChangeMessageVisibility.
const maxVisibility = 12 * time.Hour

// spareReceives are the receives a queue's maxReceiveCount keeps above the
// schedule's last attempt: one for a dead-letter send that failed and is
// retried, one for a handler that died mid-batch.
const spareReceives = 2

// Causes of abandonment (Reason.Cause).
const (
	CausePermanent = "permanent error"
	CauseBudget    = "outage budget spent"
	CauseAttempts  = "receives spent"
)

// DefaultPolicy is what every zero field of a Policy takes.
var DefaultPolicy = Policy{Budget: DefaultBudget, BaseDelay: 5 * time.Second, MaxDelay: 15 * time.Minute, Jitter: 0.5, TimeScale: 1}

// ForTarget is p for a target whose mapping has d: its outage budget,
// unless p sets one. The sync function on AWS, the local stack and the
// template generator all take a target's policy from here.
func (p Policy) ForTarget(d mapping.Delivery) Policy {
	if p.Budget <= 0 {
		p.Budget = d.Budget()
	}
	return p
}

// withDefaults fills every zero field from DefaultPolicy and applies the
// time scale.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.Budget <= 0 {
		p.Budget = d.Budget
	}
	p.Budget = min(p.Budget, MaxBudget)
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	// A budget of several days would need more receives than SQS's 1,000
	// at a 15-minute cap: the cap grows with it instead.
	p.MaxDelay = min(max(p.MaxDelay, p.Budget/budgetPerCap), maxVisibility)
	switch {
	case p.Jitter == 0 || p.Jitter > 1:
		p.Jitter = d.Jitter
	case p.Jitter < 0:
		p.Jitter = 0
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	if p.TimeScale > 1 {
		scale := func(d time.Duration) time.Duration {
			return max(time.Duration(float64(d)/p.TimeScale), time.Millisecond)
		}
		p.Budget, p.BaseDelay, p.MaxDelay = scale(p.Budget), scale(p.BaseDelay), scale(p.MaxDelay)
	}
	p.TimeScale = 1
	return p
}

// Receives is the maxReceiveCount the target's queue needs so the schedule
// can run out the budget even when every delay draws its shortest jitter:
// the attempts that fit, plus spareReceives. The template generator and
// the local queues both take it from here.
func (p Policy) Receives() int {
	p.TimeScale = 0 // the count does not depend on the scale
	q := p.withDefaults()
	q.Rand = func() float64 { return 1 } // the shortest delays
	start := time.Unix(0, 0)
	at := start
	for n := 1; ; n++ {
		a := Attempt{N: n, FirstFailure: start, Now: at}
		if _, done := q.Abandon(a, errTransient); done {
			return n + spareReceives
		}
		at = at.Add(q.Delay(a, errTransient))
	}
}

// Retention is how long the target's queue keeps a message: the budget
// plus RetentionMargin.
func (p Policy) Retention() time.Duration {
	p.TimeScale = 0
	return p.withDefaults().Budget + RetentionMargin
}

// errTransient stands for any retryable failure when Receives walks the
// schedule.
var errTransient = fault.New(fault.Transient, 503, "", "")

// Attempt is what the queue tells about one delivery of a message.
type Attempt struct {
	N            int       // this receive's number, from 1 (ApproximateReceiveCount)
	FirstFailure time.Time // first receive (ApproximateFirstReceiveTimestamp), else sent time
	Now          time.Time
}

// AttemptOf reads msg's SQS attributes. A message without them (a hand-made
// event) counts as its first attempt, failing now.
func AttemptOf(msg events.SQSMessage, now time.Time) Attempt {
	a := Attempt{N: 1, FirstFailure: now, Now: now}
	if n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"]); err == nil && n > 0 {
		a.N = n
	}
	for _, name := range []string{"ApproximateFirstReceiveTimestamp", "SentTimestamp"} {
		if ms, err := strconv.ParseInt(msg.Attributes[name], 10, 64); err == nil && ms > 0 {
			if t := time.UnixMilli(ms); t.Before(now) {
				a.FirstFailure = t
			}
			break
		}
	}
	return a
}

// Abandon reports whether a message that failed with err on attempt a is
// given up, and why: at once for a permanent error, else once the budget
// has passed since its first failure.
func (p Policy) Abandon(a Attempt, err error) (cause string, abandon bool) {
	p = p.withDefaults()
	switch {
	case fault.ClassOf(err) == fault.Permanent:
		return CausePermanent, true
	case a.Now.Sub(a.FirstFailure) >= p.Budget:
		return CauseBudget, true
	}
	return "", false
}

// Delay is how long the message waits before its next attempt: capped
// exponential backoff with jitter, never less than the back-end's
// Retry-After, and never past the end of the budget, so the last attempt
// comes when it is spent.
func (p Policy) Delay(a Attempt, err error) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < a.N && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	d -= time.Duration(float64(d) * p.Jitter * p.Rand())
	if fe := fault.As(err); fe != nil && fe.RetryAfter > d {
		d = fe.RetryAfter
	}
	if left := p.Budget - a.Now.Sub(a.FirstFailure); left > 0 && d > left {
		d = left
	}
	return max(min(d, maxVisibility), 0)
}
