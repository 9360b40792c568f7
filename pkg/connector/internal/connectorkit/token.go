package connectorkit

import (
	"context"
	"sync"

	"github.com/profilesync/profilesync/pkg/fault"
)

// ClientCredentials caches one token (of the connector's own type T: a
// bearer value plus whatever goes with it, an instance URL or an expiry)
// for every goroutine of a Client, and fetches a new one at most once per
// invalidation, however many callers need it at once.
//
// Tokens are compared by pointer: Invalidate drops a token only if it is
// still the cached one, which is what keeps N concurrent 401s on one stale
// token down to one refresh.
type ClientCredentials[T any] struct {
	fetch func(context.Context) (*T, error)
	live  func(*T) bool

	fetching chan struct{} // one slot: held while a fetch runs
	mu       sync.Mutex
	cur      *T
}

// NewClientCredentials returns a cache that gets tokens from fetch, whose
// errors come back to Get's caller as they are (fetch classifies them).
// live, if not nil, says whether a cached token may still be used (e.g.
// not yet near its expiry); a nil live keeps a token until Invalidate.
func NewClientCredentials[T any](fetch func(context.Context) (*T, error), live func(*T) bool) *ClientCredentials[T] {
	return &ClientCredentials[T]{fetch: fetch, live: live, fetching: make(chan struct{}, 1)}
}

func (cc *ClientCredentials[T]) cached() *T {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.cur != nil && (cc.live == nil || cc.live(cc.cur)) {
		return cc.cur
	}
	return nil
}

// Get returns the cached token or fetches one. Callers that arrive while a
// fetch runs wait for it (or for their ctx, a Transient error) instead of
// starting another.
func (cc *ClientCredentials[T]) Get(ctx context.Context) (*T, error) {
	if t := cc.cached(); t != nil {
		return t, nil
	}
	select {
	case cc.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, fault.Wrap(fault.Transient, ctx.Err())
	}
	defer func() { <-cc.fetching }()
	if t := cc.cached(); t != nil {
		return t, nil // fetched by the caller we waited for
	}
	t, err := cc.fetch(ctx)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	cc.cur = t
	cc.mu.Unlock()
	return t, nil
}

// Invalidate drops t if it is still the cached token. Pass the token the
// failed request used, never a fresh Get: a caller whose stale token was
// already replaced must not throw away the replacement.
func (cc *ClientCredentials[T]) Invalidate(t *T) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.cur == t {
		cc.cur = nil
	}
}
