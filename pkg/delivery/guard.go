package delivery

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Guard protects one back-end: a token bucket caps the call rate, and when
// the back-end looks down (TripAfter retryable failures in a row, or a
// Retry-After) calls pause for a cooldown that doubles while it stays down.
// Wait is for the connector calls; Ready lets a poller stop receiving
// during a pause, so a down back-end is left alone rather than hammered.
// The zero Guard does nothing but count; it is safe for concurrent use.
type Guard struct {
	Rate        float64       // calls per second; 0 is unlimited
	Burst       int           // bucket size (default 1 when Rate is set)
	TripAfter   int           // consecutive retryable failures that pause calls (default 5)
	Cooldown    time.Duration // first pause (default 1 s)
	MaxCooldown time.Duration // longest pause (default 1 min)
	// MaxWait is the longest a call waits for a token or a pause before it
	// fails as throttled and its message is rescheduled (default 5 s).
	MaxWait time.Duration

	mu       sync.Mutex
	tokens   float64
	last     time.Time
	fails    int
	cool     time.Duration
	resumeAt time.Time
}

// ErrPaused is the throttled error of a call the guard held back.
var ErrPaused = errors.New("back-end paused after repeated failures")

func (g *Guard) defaults() {
	if g.TripAfter <= 0 {
		g.TripAfter = 5
	}
	if g.Cooldown <= 0 {
		g.Cooldown = time.Second
	}
	if g.MaxCooldown <= 0 {
		g.MaxCooldown = time.Minute
	}
	if g.MaxWait <= 0 {
		g.MaxWait = 5 * time.Second
	}
	if g.Burst <= 0 {
		g.Burst = 1
	}
}

// Paused is how long calls stay paused (0 when they are not).
func (g *Guard) Paused() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return max(time.Until(g.resumeAt), 0)
}

// Ready waits out a pause; a poller calls it before each receive.
func (g *Guard) Ready(ctx context.Context) error {
	for {
		d := g.Paused()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Wait takes a token, waiting out a pause and the rate. When that would
// take longer than MaxWait (or ctx ends) it returns a throttled fault.Error
// carrying the time left, without calling.
func (g *Guard) Wait(ctx context.Context) error {
	g.mu.Lock()
	g.defaults()
	deadline := time.Now().Add(g.MaxWait)
	g.mu.Unlock()
	for {
		d := g.reserve(time.Now())
		if d <= 0 {
			return nil
		}
		if time.Now().Add(d).After(deadline) {
			e := fault.Wrap(fault.Throttled, ErrPaused)
			e.RetryAfter = d
			return e
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fault.Wrap(fault.Throttled, ctx.Err())
		case <-t.C:
		}
	}
}

// reserve takes a token if it can and returns 0, else how long to wait.
func (g *Guard) reserve(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.resumeAt) {
		return g.resumeAt.Sub(now)
	}
	if g.Rate <= 0 {
		return 0
	}
	if g.last.IsZero() {
		g.tokens = float64(g.Burst)
	} else {
		g.tokens = min(float64(g.Burst), g.tokens+now.Sub(g.last).Seconds()*g.Rate)
	}
	g.last = now
	if g.tokens >= 1 {
		g.tokens--
		return 0
	}
	return time.Duration((1 - g.tokens) / g.Rate * float64(time.Second))
}

// Observe learns from a call's outcome: success closes a pause; a
// retryable failure counts towards one, and a Retry-After pauses at once.
// Permanent errors say nothing about the back-end's health.
func (g *Guard) Observe(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.defaults()
	if err == nil {
		g.fails, g.cool = 0, 0
		return
	}
	fe := fault.As(err)
	if fe.Class == fault.Permanent || errors.Is(err, ErrPaused) || errors.Is(err, context.Canceled) {
		return
	}
	g.fails++
	pause := time.Duration(0)
	if fe.RetryAfter > 0 {
		pause = fe.RetryAfter
	}
	if g.fails >= g.TripAfter {
		if g.cool == 0 {
			g.cool = g.Cooldown
		} else {
			g.cool = min(g.cool*2, g.MaxCooldown)
		}
		g.fails = 0
		pause = max(pause, g.cool)
	}
	if until := time.Now().Add(pause); pause > 0 && until.After(g.resumeAt) {
		g.resumeAt = until
	}
}

// call runs one connector call under the guard.
func (h *Handler) call(ctx context.Context, fn func(context.Context) error) error {
	if h.Guard == nil {
		return fn(ctx)
	}
	if err := h.Guard.Wait(ctx); err != nil {
		return err
	}
	err := fn(ctx)
	h.Guard.Observe(err)
	return err
}
