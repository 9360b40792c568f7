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
	// jwksMaxAge bounds how long a key removed from the JWKS keeps verifying.
	jwksMaxAge = time.Hour
	minRSABits = 2048
)

var errUnknownKID = errors.New("no key with this kid in the JWKS")

// jwksCache holds the verified-source keys by kid. It is safe for
// concurrent use; the lock is held across a fetch so concurrent misses
// share one request.
type jwksCache struct {
	url string
	hc  *http.Client

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time
	lastAttempt time.Time
}

// key returns the key for kid, fetching the JWKS when it has none yet, when
// it is older than jwksMaxAge, or once when kid is unknown.
func (c *jwksCache) key(ctx context.Context, kid string, now time.Time) (*rsa.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var fetchErr error
	if c.keys == nil || now.Sub(c.fetchedAt) > jwksMaxAge {
		fetchErr = c.refresh(ctx, now) // stale keys still serve if this fails
	}
	if k, ok := c.keys[kid]; ok {
		return k, nil
	}
	if fetchErr == nil && c.mayFetch(now) {
		fetchErr = c.refresh(ctx, now)
		if k, ok := c.keys[kid]; ok {
			return k, nil
		}
	}
	if c.keys == nil && fetchErr == nil {
		fetchErr = errors.New("JWKS not fetched yet")
	}
	if c.keys == nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("akamai jwks: %w", fetchErr))
	}
	return nil, errUnknownKID
}

func (c *jwksCache) mayFetch(now time.Time) bool {
	return c.lastAttempt.IsZero() || now.Sub(c.lastAttempt) >= jwksMinInterval || now.Before(c.lastAttempt)
}

// refresh fetches the JWKS, rate limited by mayFetch, and replaces the keys
// only when the new set holds at least one usable key.
func (c *jwksCache) refresh(ctx context.Context, now time.Time) error {
	if !c.mayFetch(now) {
		return errors.New("JWKS fetch rate limited")
	}
	c.lastAttempt = now
	keys, err := c.fetch(ctx)
	if err != nil {
		return err
	}
	c.keys, c.fetchedAt = keys, now
	return nil
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
