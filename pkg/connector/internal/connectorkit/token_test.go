package connectorkit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

type tok struct{ n int64 }

// counting returns a fetch that hands out tok{1}, tok{2}, … and counts calls.
func counting(calls *atomic.Int64) func(context.Context) (*tok, error) {
	return func(context.Context) (*tok, error) { return &tok{n: calls.Add(1)}, nil }
}

func TestConcurrentGetsShareOneFetch(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	cc := NewClientCredentials(func(ctx context.Context) (*tok, error) {
		<-release // hold the fetch until every caller is waiting on it
		return &tok{n: calls.Add(1)}, nil
	}, nil)

	const n = 32
	got := make([]*tok, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			t, err := cc.Get(context.Background())
			if err != nil {
				panic(err)
			}
			got[i] = t
		})
	}
	time.Sleep(10 * time.Millisecond) // let callers pile up; correctness does not depend on it
	close(release)
	wg.Wait()

	if c := calls.Load(); c != 1 {
		t.Fatalf("fetches = %d, want 1 for %d concurrent callers", c, n)
	}
	for i, g := range got {
		if g != got[0] {
			t.Fatalf("caller %d got token %v, want the shared %v", i, g, got[0])
		}
	}
}

func TestInvalidateDropsOnlyTheTokenThatFailed(t *testing.T) {
	var calls atomic.Int64
	cc := NewClientCredentials(counting(&calls), nil)
	ctx := context.Background()

	stale, _ := cc.Get(ctx)
	cc.Invalidate(stale)
	fresh, _ := cc.Get(ctx)
	if fresh == stale || calls.Load() != 2 {
		t.Fatalf("after Invalidate: got %v (stale %v), fetches %d; want a new token from a second fetch", fresh, stale, calls.Load())
	}

	// A slower caller whose request also failed with the stale token must
	// not throw away the one already fetched.
	cc.Invalidate(stale)
	if again, _ := cc.Get(ctx); again != fresh || calls.Load() != 2 {
		t.Fatalf("Invalidate(stale) dropped the fresh token: got %v, fetches %d", again, calls.Load())
	}
}

func TestConcurrentRejectionsOfOneTokenRefreshOnce(t *testing.T) {
	var calls atomic.Int64
	cc := NewClientCredentials(counting(&calls), nil)
	ctx := context.Background()
	stale, _ := cc.Get(ctx)

	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			cc.Invalidate(stale) // every caller saw a 401 on the same token
			if _, err := cc.Get(ctx); err != nil {
				panic(err)
			}
		})
	}
	wg.Wait()
	// Invalidate and Get interleave freely, but a caller can only ever drop
	// stale, so there is exactly one refresh.
	if c := calls.Load(); c != 2 {
		t.Fatalf("fetches = %d, want 2 (the first and one refresh)", c)
	}
}

func TestLiveDecidesWhenACachedTokenIsRenewed(t *testing.T) {
	var calls atomic.Int64
	var expired atomic.Bool
	cc := NewClientCredentials(counting(&calls), func(*tok) bool { return !expired.Load() })
	ctx := context.Background()

	a, _ := cc.Get(ctx)
	if b, _ := cc.Get(ctx); b != a {
		t.Fatal("a live token was not reused")
	}
	expired.Store(true)
	if b, _ := cc.Get(ctx); b == a || calls.Load() != 2 {
		t.Fatalf("an expired token was reused (fetches %d)", calls.Load())
	}
}

func TestFetchErrorsAreNotCached(t *testing.T) {
	refused := fault.New(fault.Permanent, 400, "invalid_client", "refused")
	var calls atomic.Int64
	cc := NewClientCredentials(func(context.Context) (*tok, error) {
		if calls.Add(1) == 1 {
			return nil, refused
		}
		return &tok{n: 2}, nil
	}, nil)

	if _, err := cc.Get(context.Background()); !errors.Is(err, refused) {
		t.Fatalf("err = %v, want the fetch's own error", err)
	}
	if got, err := cc.Get(context.Background()); err != nil || got.n != 2 {
		t.Fatalf("second Get = %v, %v; want a fresh fetch", got, err)
	}
}

func TestWaiterGivesUpWithItsContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	cc := NewClientCredentials(func(context.Context) (*tok, error) {
		close(started)
		<-release
		return &tok{}, nil
	}, nil)
	go cc.Get(context.Background()) // holds the fetch slot
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := cc.Get(ctx)
	if !errors.Is(err, context.Canceled) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v (class %v), want a Transient context.Canceled", err, fault.ClassOf(err))
	}
}
