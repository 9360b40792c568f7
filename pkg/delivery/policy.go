package delivery

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Policy decides when a failed message is tried again and when it is
// abandoned. Classification stays in pkg/fault; this is only about time.
//
// A message is abandoned when both its attempts and its window are spent:
// MaxAttempts receives, and MinWindow since its first failure. Until then
// every retry is scheduled by Delay; once the attempts are spent early, the
// last one waits for the end of the window, so a two-hour outage cannot
// burn every attempt in its first ten minutes.
//
// Every zero field takes its default from DefaultPolicy, so setting one
// field never clears another; NoWindow and NoJitter switch the window and
// the jitter off explicitly.
//
// The queue's maxReceiveCount (the RedrivePolicy) must stay above
// MaxAttempts: it is the backstop for a handler that dies mid-batch, not
// the retry policy. ForQueue derives MaxAttempts from it.
type Policy struct {
	MaxAttempts int           // receives before a message may be abandoned (default 8)
	MinWindow   time.Duration // time since the first failure before it may be (default 1 h; NoWindow: none)
	BaseDelay   time.Duration // first retry delay (default 5 s)
	MaxDelay    time.Duration // cap of one delay (default 15 min; SQS allows 12 h)
	// Jitter is the fraction of each delay drawn at random (0..1, default
	// 0.5; NoJitter: none): equal jitter keeps retries of one outage from
	// arriving together.
	Jitter float64
	// Rand returns a float in [0,1); default math/rand/v2.
	Rand func() float64
}

// NoWindow and NoJitter switch off what a zero field would default.
const (
	NoWindow time.Duration = -1
	NoJitter float64       = -1
)

// maxVisibility is SQS's ceiling for ChangeMessageVisibility.
const maxVisibility = 12 * time.Hour

// spareReceives are the receives a queue's maxReceiveCount keeps above
// MaxAttempts: one for the attempt that waits out the window, one for the
// dead-letter send itself, so the handler gives up (and dead-letters with
// a reason) before SQS's blind redrive would.
const spareReceives = 2

// DefaultPolicy is what every zero field of a Policy takes.
var DefaultPolicy = Policy{MaxAttempts: 8, MinWindow: time.Hour, BaseDelay: 5 * time.Second, MaxDelay: 15 * time.Minute, Jitter: 0.5}

// ForQueue is p for a queue that redrives after maxReceiveCount receives:
// unless p sets MaxAttempts, it is maxReceiveCount less the spare
// receives. The sync function on AWS and the local stack both take their
// policy from here.
func (p Policy) ForQueue(maxReceiveCount int) Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = max(1, maxReceiveCount-spareReceives)
	}
	return p.withDefaults()
}

// withDefaults fills every zero field from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	switch {
	case p.MinWindow == 0:
		p.MinWindow = d.MinWindow
	case p.MinWindow < 0:
		p.MinWindow = 0
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	p.MaxDelay = min(p.MaxDelay, maxVisibility)
	switch {
	case p.Jitter == 0 || p.Jitter > 1:
		p.Jitter = d.Jitter
	case p.Jitter < 0:
		p.Jitter = 0
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

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
// given up: at once for a permanent error, else when both the attempts and
// the window are spent.
func (p Policy) Abandon(a Attempt, err error) bool {
	p = p.withDefaults()
	if fault.ClassOf(err) == fault.Permanent {
		return true
	}
	return a.N >= p.MaxAttempts && a.Now.Sub(a.FirstFailure) >= p.MinWindow
}

// Delay is how long the message waits before its next attempt: capped
// exponential backoff with jitter, never less than the back-end's
// Retry-After, and once the attempts are spent before the window, the rest
// of the window.
func (p Policy) Delay(a Attempt, err error) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < a.N && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	d -= time.Duration(float64(d) * p.Jitter * p.Rand())
	if left := p.MinWindow - a.Now.Sub(a.FirstFailure); left > 0 && a.N >= p.MaxAttempts {
		d = max(d, left) // the attempts are spent, the window is not: wait it out
	}
	if fe := fault.As(err); fe != nil && fe.RetryAfter > d {
		d = fe.RetryAfter
	}
	return min(d, maxVisibility)
}
