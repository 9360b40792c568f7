package akamai

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
)

// gatedJWKS serves a JWKS that can be made slow (each request waits for
// release) or failing (503), and counts requests.
type gatedJWKS struct {
	srv   *httptest.Server
	calls atomic.Int32
	fail  atomic.Bool

	mu   sync.Mutex
	gate chan struct{} // nil: answer at once
}

func newGatedJWKS(t *testing.T, body []byte) *gatedJWKS {
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
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(g.srv.Close)
	t.Cleanup(g.open) // before Close: a held request would block it
	return g
}

// hold makes requests wait until open.
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

// poll fails the test unless cond holds within 5 s.
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

// within runs parse and fails the test if it has not returned in 5 s,
// i.e. it is blocked behind the held JWKS request.
func within(t *testing.T, what string, parse func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- parse() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: blocked behind a slow JWKS fetch", what)
		return nil
	}
}

func TestJWKSSlowServerDoesNotBlockCachedKeys(t *testing.T) {
	v := loadVector(t)
	g := newGatedJWKS(t, v.JWKS)
	p := mustParser(t, testConfig(g.srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	parse := func(body []byte, now time.Time) error {
		_, err := p.Parse(context.Background(), source.Request{Body: body, Now: now})
		return err
	}
	known := []byte(v.RawBody)
	if err := parse(known, fixedNow); err != nil {
		t.Fatal(err)
	}
	g.hold()

	// An unknown kid waits for a refetch, which hangs...
	unknown, _ := fake.SignWith(mustKey(t), map[string]any{"typ": "secevent+jwt", "alg": "RS256", "kid": "rotated"},
		claims(v.ExpectedAud, "entityUpdated", entity("u1", "e1")))
	unknownErr := make(chan error, 1)
	go func() { unknownErr <- parse(unknown, fixedNow.Add(time.Minute)) }()
	poll(t, "the unknown kid to wait on the fetch", func() bool { _, w := p.jwks.State(); return w == 1 && g.calls.Load() == 2 })

	// ...while the cached key verifies, even once due for a refresh.
	for _, d := range []time.Duration{time.Minute, 2 * time.Hour} {
		if err := within(t, "cached key", func() error { return parse(known, fixedNow.Add(d)) }); err != nil {
			t.Fatalf("cached key at +%s: %v", d, err)
		}
	}
	g.open()
	if err := <-unknownErr; !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatalf("unknown kid: %v", err)
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2: none while one is in flight", n)
	}

	// A due refresh runs in the background: the caller does not wait for it.
	g.hold()
	if err := within(t, "due refresh", func() error { return parse(known, fixedNow.Add(3*time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	poll(t, "the background refresh", func() bool { return g.calls.Load() == 3 })
	g.open()
	poll(t, "the refresh to finish", func() bool { in, _ := p.jwks.State(); return !in })
}

func TestJWKSConcurrentMissesShareOneFetch(t *testing.T) {
	v := loadVector(t)
	g := newGatedJWKS(t, v.JWKS)
	p := mustParser(t, testConfig(g.srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	g.hold()
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := p.Parse(context.Background(), source.Request{Body: []byte(v.RawBody), Now: fixedNow})
			errs <- err
		}()
	}
	poll(t, "every parse to wait on the fetch", func() bool { _, w := p.jwks.State(); return w == n })
	g.open()
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if c := g.calls.Load(); c != 1 {
		t.Fatalf("%d JWKS fetches for %d concurrent parses, want 1", c, n)
	}
}

func TestJWKSWaitHonoursContext(t *testing.T) {
	v := loadVector(t)
	g := newGatedJWKS(t, v.JWKS)
	p := mustParser(t, testConfig(g.srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	g.hold()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Parse(ctx, source.Request{Body: []byte(v.RawBody), Now: fixedNow})
		errc <- err
	}()
	poll(t, "the parse to wait", func() bool { _, w := p.jwks.State(); return w == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want a transient context.Canceled, got %v", err)
	}
}

func TestJWKSStaleKeysFailClosed(t *testing.T) {
	v := loadVector(t)
	g := newGatedJWKS(t, v.JWKS)
	p := mustParser(t, testConfig(g.srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	parse := func(now time.Time) error {
		_, err := p.Parse(context.Background(), source.Request{Body: []byte(v.RawBody), Now: now})
		return err
	}
	if err := parse(fixedNow); err != nil {
		t.Fatal(err)
	}
	g.fail.Store(true)
	// Refreshes fail; the keys keep serving up to jose.MaxAge.
	if err := parse(fixedNow.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	poll(t, "the failed refresh", func() bool { in, _ := p.jwks.State(); return !in && g.calls.Load() == 2 })
	if err := parse(fixedNow.Add(jose.MaxAge)); err != nil {
		t.Fatalf("at the maximum age: %v", err)
	}
	// Past it, verification refuses, as a retryable failure (5xx) that says why.
	err := parse(fixedNow.Add(jose.MaxAge + time.Second))
	if err == nil || errors.Is(err, source.ErrUnauthenticated) || fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "keys are stale") {
		t.Fatalf("past the maximum age: want a transient 'keys are stale' error, got %v", err)
	}
	t.Log(err)
	// Once the JWKS answers again, verification recovers.
	g.fail.Store(false)
	if err := parse(fixedNow.Add(jose.MaxAge + time.Minute)); err != nil {
		t.Fatal(err)
	}
}
