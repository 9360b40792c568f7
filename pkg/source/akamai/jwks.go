package akamai

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

const (
	// jwksMinInterval spaces JWKS fetches: an unknown kid, or a failed
	// fetch, triggers at most one fetch per interval, whoever sends it.
	jwksMinInterval = 30 * time.Second
	// jwksRefreshAfter bounds how long a key removed from the JWKS keeps
	// verifying: older keys are refreshed in the background.
	jwksRefreshAfter = time.Hour
	// jwksMaxAge bounds how long keys serve while every refresh fails.
	// Past it verification fails closed: a key the customer revoked must
	// not verify forever because their JWKS endpoint is down. Akamai
	// retries for more than 24 h, so a short outage past it loses nothing.
	jwksMaxAge = 24 * time.Hour
	// jwksFetchTimeout bounds a fetch, which no caller's context cancels.
	jwksFetchTimeout = 10 * time.Second
	minRSABits       = 2048
)

var errUnknownKID = errors.New("no key with this kid in the JWKS")

// jwksCache holds the verified-source keys by kid. It is safe for
// concurrent use. The lock is never held across a fetch: at most one fetch
// is in flight, callers with a usable cached key do not wait for it, and
// callers without one wait for that fetch instead of starting their own.
type jwksCache struct {
	url string
	hc  *http.Client

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // when keys were fetched
	lastAttempt time.Time
	lastErr     error      // of the last fetch; nil after a success
	inflight    *jwksFetch // nil when no fetch runs
	waiting     int        // callers blocked on inflight, for tests
}

// jwksFetch is one fetch in flight; done closes when the cache holds its
// outcome.
type jwksFetch struct{ done chan struct{} }

// key returns the key for kid. Keys older than jwksRefreshAfter serve while
// a background fetch refreshes them; a kid the cache lacks (or keys past
// jwksMaxAge) waits for a fetch, at most one per jwksMinInterval.
func (c *jwksCache) key(ctx context.Context, kid string, now time.Time) (*rsa.PublicKey, error) {
	c.mu.Lock()
	if k := c.usable(kid, now); k != nil {
		if now.Sub(c.fetchedAt) > jwksRefreshAfter && c.inflight == nil && c.mayFetch(now) {
			c.start(ctx, now)
		}
		c.mu.Unlock()
		return k, nil
	}
	f := c.inflight
	if f == nil && c.mayFetch(now) {
		f = c.start(ctx, now)
	}
	if f != nil {
		c.waiting++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
			return nil, fault.Wrap(fault.Transient, fmt.Errorf("akamai jwks: waiting for the JWKS: %w", ctx.Err()))
		}
		c.mu.Lock()
		c.waiting--
	}
	defer c.mu.Unlock()
	if k := c.usable(kid, now); k != nil {
		return k, nil
	}
	return nil, c.failure(now)
}

// usable returns the key for kid unless the keys are missing or past
// jwksMaxAge. The caller holds mu.
func (c *jwksCache) usable(kid string, now time.Time) *rsa.PublicKey {
	if c.keys == nil || now.Sub(c.fetchedAt) > jwksMaxAge {
		return nil
	}
	return c.keys[kid]
}

// failure explains why no key serves. The caller holds mu.
func (c *jwksCache) failure(now time.Time) error {
	why := c.lastErr
	if why == nil {
		why = errors.New("JWKS fetch rate limited")
	}
	switch {
	case c.keys == nil:
		return fault.Wrap(fault.Transient, fmt.Errorf("akamai jwks: %w", why))
	case now.Sub(c.fetchedAt) > jwksMaxAge:
		return fault.Wrap(fault.Transient, fmt.Errorf("akamai jwks: keys are stale: last refreshed %s ago, over the %s maximum: %w",
			now.Sub(c.fetchedAt).Round(time.Second), jwksMaxAge, why))
	}
	return errUnknownKID
}

func (c *jwksCache) mayFetch(now time.Time) bool {
	return c.lastAttempt.IsZero() || now.Sub(c.lastAttempt) >= jwksMinInterval || now.Before(c.lastAttempt)
}

// start begins a fetch. The caller holds mu and has checked that none is in
// flight. The fetch outlives the caller's context (others may wait for it)
// but not jwksFetchTimeout. Keys are replaced only by a set holding at
// least one usable key.
func (c *jwksCache) start(ctx context.Context, now time.Time) *jwksFetch {
	f := &jwksFetch{done: make(chan struct{})}
	c.inflight, c.lastAttempt = f, now
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	go func() {
		defer cancel()
		keys, err := c.fetch(fctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil {
			c.keys, c.fetchedAt = keys, now
		}
		c.lastErr, c.inflight = err, nil
		close(f.done)
	}()
	return f
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, sourcekit.TransportError("jwks", err)
	}
	body, err := sourcekit.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET JWKS: status %d", resp.StatusCode)
	}
	return parseJWKS(body)
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// parseJWKS keeps the RSA signing keys fit for RS256 and skips the rest.
func parseJWKS(b []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RS256 key")
	}
	return keys, nil
}
