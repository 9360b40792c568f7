package jose

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
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

// The cache's timings.
const (
	// MinInterval spaces fetches: an unknown kid, or a failed fetch,
	// triggers at most one fetch per interval, whoever sends it.
	MinInterval = 30 * time.Second
	// RefreshAfter bounds how long a key removed from the JWKS keeps
	// verifying: older keys are refreshed in the background.
	RefreshAfter = time.Hour
	// MaxAge bounds how long keys serve while every refresh fails. Past it
	// verification fails closed: a key the sender revoked must not verify
	// forever because its JWKS endpoint is down. Senders retry (Akamai for
	// more than 24 h), so a short outage past it loses nothing.
	MaxAge = 24 * time.Hour
	// fetchTimeout bounds a fetch, which no caller's context cancels.
	fetchTimeout = 10 * time.Second
	minRSABits   = 2048
)

// ErrUnknownKID is Key's answer for a kid the fresh JWKS lacks: the
// token's fault, unlike a JWKS that cannot be had (a Transient fault.Error).
var ErrUnknownKID = errors.New("no key with this kid in the JWKS")

// Cache holds the signing keys of one JWKS URL by kid. It is safe for
// concurrent use; the lock is never held across a fetch, at most one fetch
// is in flight, callers with a usable key do not wait for it and callers
// without one wait for it rather than start their own.
type Cache struct {
	url, label string
	hc         *http.Client

	mu          sync.Mutex
	keys        map[string]crypto.PublicKey
	fetchedAt   time.Time
	lastAttempt time.Time
	lastErr     error
	inflight    chan struct{} // closes when the fetch in flight is done
	waiting     int           // callers blocked on inflight, for tests
}

// NewCache returns a Cache of url's keys fetched with hc; label starts its
// errors ("fusionauth jwks: …").
func NewCache(url, label string, hc *http.Client) *Cache {
	return &Cache{url: url, label: label, hc: hc}
}

// Key returns the key for kid. Keys older than RefreshAfter serve while a
// background fetch refreshes them; a kid the cache lacks (or keys past
// MaxAge) waits for a fetch, at most one per MinInterval.
func (c *Cache) Key(ctx context.Context, kid string, now time.Time) (crypto.PublicKey, error) {
	c.mu.Lock()
	if k := c.usable(kid, now); k != nil {
		if now.Sub(c.fetchedAt) > RefreshAfter && c.inflight == nil && c.mayFetch(now) {
			c.start(ctx, now)
		}
		c.mu.Unlock()
		return k, nil
	}
	done := c.inflight
	if done == nil && c.mayFetch(now) {
		done = c.start(ctx, now)
	}
	if done != nil {
		c.waiting++
	}
	c.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
			return nil, fault.Wrap(fault.Transient, fmt.Errorf("%s jwks: waiting for the JWKS: %w", c.label, ctx.Err()))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if done != nil {
		c.waiting--
	}
	if k := c.usable(kid, now); k != nil {
		return k, nil
	}
	return nil, c.failure(now)
}

// State says whether a fetch is in flight and how many callers wait for it
// (for tests and diagnostics).
func (c *Cache) State() (inflight bool, waiting int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight != nil, c.waiting
}

func (c *Cache) usable(kid string, now time.Time) crypto.PublicKey {
	if c.keys == nil || now.Sub(c.fetchedAt) > MaxAge {
		return nil
	}
	return c.keys[kid]
}

func (c *Cache) failure(now time.Time) error {
	why := c.lastErr
	if why == nil {
		why = errors.New("JWKS fetch rate limited")
	}
	switch {
	case c.keys == nil:
		return fault.Wrap(fault.Transient, fmt.Errorf("%s jwks: %w", c.label, why))
	case now.Sub(c.fetchedAt) > MaxAge:
		return fault.Wrap(fault.Transient, fmt.Errorf("%s jwks: keys are stale: last refreshed %s ago: %w",
			c.label, now.Sub(c.fetchedAt).Round(time.Second), why))
	}
	return ErrUnknownKID
}

func (c *Cache) mayFetch(now time.Time) bool {
	return c.lastAttempt.IsZero() || now.Sub(c.lastAttempt) >= MinInterval || now.Before(c.lastAttempt)
}

// start begins a fetch; the caller holds mu and none is in flight. The
// fetch outlives the caller's context (others may wait for it) but not
// fetchTimeout. Keys are replaced only by a set with a usable key.
func (c *Cache) start(ctx context.Context, now time.Time) chan struct{} {
	done := make(chan struct{})
	c.inflight, c.lastAttempt = done, now
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	go func() {
		defer cancel()
		keys, err := c.fetch(fctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil {
			c.keys, c.fetchedAt = keys, now
		}
		c.lastErr, c.inflight = err, nil
		close(done)
	}()
	return done
}

func (c *Cache) fetch(ctx context.Context) (map[string]crypto.PublicKey, error) {
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
	return ParseJWKS(body)
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseJWKS keeps the signing keys with a kid: RSA of at least 2048 bits
// and EC on P-256, P-384 or P-521 (the point checked on the curve). Other
// keys are skipped; a set without a usable key is an error.
func ParseJWKS(b []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if pub := k.public(); pub != nil {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable signing key")
	}
	return keys, nil
}

func (k jwk) public() crypto.PublicKey {
	dec := base64.RawURLEncoding.DecodeString
	switch k.Kty {
	case "RSA":
		n, err1 := dec(k.N)
		e, err2 := dec(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil
		}
		return pub
	case "EC":
		curves := map[string]struct {
			c elliptic.Curve
			d ecdh.Curve
		}{"P-256": {elliptic.P256(), ecdh.P256()}, "P-384": {elliptic.P384(), ecdh.P384()}, "P-521": {elliptic.P521(), ecdh.P521()}}
		cv, ok := curves[k.Crv]
		if !ok {
			return nil
		}
		x, err1 := dec(k.X)
		y, err2 := dec(k.Y)
		size := (cv.c.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil
		}
		// ecdh checks that the point is on the curve.
		if _, err := cv.d.NewPublicKey(append(append([]byte{4}, x...), y...)); err != nil {
			return nil
		}
		return &ecdsa.PublicKey{Curve: cv.c, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	}
	return nil
}
