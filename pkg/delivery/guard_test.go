package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestGuardPausesADownBackEnd(t *testing.T) {
	g := &Guard{TripAfter: 3, Cooldown: time.Hour, MaxWait: time.Millisecond}
	ctx := context.Background()
	for range 2 {
		g.Observe(errors.New("connection refused"))
	}
	g.Observe(fault.New(fault.Permanent, 400, "X", "bad record")) // says nothing about health
	if g.Paused() != 0 {
		t.Fatal("paused before TripAfter retryable failures")
	}
	g.Observe(errors.New("connection refused"))
	if p := g.Paused(); p < 59*time.Minute {
		t.Fatalf("paused %s after three failures in a row, want the cooldown", p)
	}
	err := g.Wait(ctx)
	if fe := fault.As(err); !errors.Is(err, ErrPaused) || fe.Class != fault.Throttled || fe.RetryAfter < 59*time.Minute {
		t.Fatalf("Wait during a pause: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := g.Ready(rctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ready during a pause: %v", err)
	}
}

func TestGuardHonoursRetryAfterAndRecovers(t *testing.T) {
	g := &Guard{MaxWait: time.Second}
	g.Observe(&fault.Error{Class: fault.Throttled, Status: 429, RetryAfter: 30 * time.Millisecond})
	start := time.Now()
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("Wait returned after %s, inside the Retry-After", d)
	}
	g.Observe(nil)
	if g.Paused() != 0 {
		t.Fatal("still paused after a success")
	}
}

func TestGuardRateLimit(t *testing.T) {
	g := &Guard{Rate: 100, Burst: 1}
	start := time.Now()
	for range 11 {
		if err := g.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("11 calls at 100/s took %s, want at least 100 ms", d)
	}
}
