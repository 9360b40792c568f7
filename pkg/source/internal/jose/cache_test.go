package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// gatedJWKS serves a JWKS that can be made slow (requests wait for open)
// or failing (503), and counts requests: the akamai cache's tests, for
// the shared cache.
type gatedJWKS struct {
	srv   *httptest.Server
	calls atomic.Int32
	fail  atomic.Bool

	mu   sync.Mutex
	gate chan struct{}
}

func newGatedJWKS(t *testing.T) (*gatedJWKS, *Cache) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body := jwksOf(map[string]crypto.PublicKey{"k1": &k.PublicKey})
	g := &gatedJWKS{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.calls.Add(1)
		g.mu.Lock()
		gate := g.gate
		g.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		if g.fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.open)
	return g, NewCache(g.srv.URL, "test", g.srv.Client())
}

func (g *gatedJWKS) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate == nil {
		g.gate = make(chan struct{})
	}
}

func (g *gatedJWKS) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: blocked behind a slow JWKS fetch", what)
		return nil
	}
}

var t0 = time.Unix(1735725600, 0)

func TestCacheConcurrentMissesShareOneFetch(t *testing.T) {
	g, c := newGatedJWKS(t)
	g.hold()
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { _, err := c.Key(context.Background(), "k1", t0); errs <- err }()
	}
	poll(t, "every caller to wait on the fetch", func() bool { _, w := c.State(); return w == n })
	g.open()
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := g.calls.Load(); got != 1 {
		t.Fatalf("%d fetches for %d concurrent misses, want 1", got, n)
	}
}

func TestCacheSlowServerDoesNotBlockCachedKeys(t *testing.T) {
	g, c := newGatedJWKS(t)
	if _, err := c.Key(context.Background(), "k1", t0); err != nil {
		t.Fatal(err)
	}
	g.hold()
	unknown := make(chan error, 1)
	go func() { _, err := c.Key(context.Background(), "rotated", t0.Add(time.Minute)); unknown <- err }()
	poll(t, "the unknown kid to wait on the fetch", func() bool { _, w := c.State(); return w == 1 && g.calls.Load() == 2 })
	for _, d := range []time.Duration{time.Minute, 2 * time.Hour} {
		if err := within(t, "cached key", func() error { _, err := c.Key(context.Background(), "k1", t0.Add(d)); return err }); err != nil {
			t.Fatalf("cached key at +%s: %v", d, err)
		}
	}
	g.open()
	if err := <-unknown; !errors.Is(err, ErrUnknownKID) {
		t.Fatalf("unknown kid: %v", err)
	}
	// A due refresh runs in the background.
	g.hold()
	if err := within(t, "due refresh", func() error { _, err := c.Key(context.Background(), "k1", t0.Add(3*time.Hour)); return err }); err != nil {
		t.Fatal(err)
	}
	poll(t, "the background refresh", func() bool { return g.calls.Load() == 3 })
	g.open()
	poll(t, "the refresh to finish", func() bool { in, _ := c.State(); return !in })
}

func TestCacheWaitHonoursContext(t *testing.T) {
	g, c := newGatedJWKS(t)
	g.hold()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Key(ctx, "k1", t0); errc <- err }()
	poll(t, "the caller to wait", func() bool { _, w := c.State(); return w == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want a transient context.Canceled, got %v", err)
	}
	if _, w := c.State(); w != 0 {
		t.Fatalf("%d still counted waiting", w)
	}
}

func TestCacheStaleKeysFailClosed(t *testing.T) {
	g, c := newGatedJWKS(t)
	key := func(now time.Time) error { _, err := c.Key(context.Background(), "k1", now); return err }
	if err := key(t0); err != nil {
		t.Fatal(err)
	}
	g.fail.Store(true)
	if err := key(t0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	poll(t, "the failed refresh", func() bool { in, _ := c.State(); return !in && g.calls.Load() == 2 })
	if err := key(t0.Add(MaxAge)); err != nil {
		t.Fatalf("at the maximum age: %v", err)
	}
	err := key(t0.Add(MaxAge + time.Second))
	if err == nil || errors.Is(err, ErrUnknownKID) || fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "keys are stale") {
		t.Fatalf("past the maximum age: %v", err)
	}
	g.fail.Store(false)
	if err := key(t0.Add(MaxAge + time.Minute)); err != nil {
		t.Fatal(err)
	}
}
