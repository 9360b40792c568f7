package connector

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Secrets returns a named secret's JSON (Secrets Manager on AWS, files
// locally).
type Secrets interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// invalidator is Secrets with a cache that can be dropped
// (pkg/awsadapter.Secrets), so a rotated secret is read at once. Secrets
// without a cache (the local stack's files) need no invalidation.
type invalidator interface {
	Invalidate(name string)
}

// recheckAfter bounds how often an unchanged secret is read again after
// refused credentials: a back-end that keeps refusing a secret nobody
// rotated must not turn every record into a Secrets Manager call.
const recheckAfter = time.Minute

// RefreshingConnector is a Connector that survives secret rotation: when
// the back-end refuses the credentials it drops the cached secret, reads it
// again and, if it changed, rebuilds the connector and retries the call
// once. An unchanged secret means a retry cannot help, so the refusal is
// returned as it came. A connector it replaces is closed, when it holds a
// connection (an io.Closer such as the LDAP client), once the calls that
// were using it have returned.
//
// Refused credentials are a fault.Auth error, or an OAuth 2.0 token
// endpoint's invalid_client / invalid_grant / unauthorized_client (RFC 6749
// §5.2), which connectors classify Permanent because retrying with the same
// secret cannot help — yet that is exactly what a rotated client secret
// looks like. Safe for concurrent use; concurrent refusals share one
// refresh.
type RefreshingConnector struct {
	name    string
	secret  string
	secrets Secrets
	build   func(secret []byte) (Connector, error)
	now     func() time.Time

	cur atomic.Pointer[built]

	refreshMu sync.Mutex // one refresh at a time; guards checked
	checked   time.Time  // when cur's secret was last found unchanged
}

// built is one connector and the digest of the secret it was built from.
// Calls hold inUse for reading; retiring takes it for writing, so a
// replaced connector is closed only after its last call returned.
type built struct {
	conn   Connector
	digest [sha256.Size]byte

	inUse   sync.RWMutex
	retired bool // guarded by inUse
}

// refreshingBatcher is a RefreshingConnector over a Batcher, so wrapping
// does not hide batching from the sync handler.
type refreshingBatcher struct{ *RefreshingConnector }

var (
	_ Connector   = (*RefreshingConnector)(nil)
	_ OptOuter    = (*RefreshingConnector)(nil)
	_ Deactivator = (*RefreshingConnector)(nil)
	_ io.Closer   = (*RefreshingConnector)(nil)
	_ Batcher     = refreshingBatcher{}
)

// NewRefreshingConnector reads secretName and builds the first connector;
// the result is a Batcher when that connector is one. name (the target) is
// for errors only.
func NewRefreshingConnector(ctx context.Context, name, secretName string, secrets Secrets,
	build func(secret []byte) (Connector, error)) (Connector, error) {
	c := &RefreshingConnector{name: name, secret: secretName, secrets: secrets, build: build, now: time.Now}
	raw, err := secrets.Secret(ctx, secretName)
	if err != nil {
		return nil, fmt.Errorf("target %s: read secret %s: %w", name, secretName, err)
	}
	conn, err := build(raw)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	c.cur.Store(&built{conn: conn, digest: sha256.Sum256(raw)})
	if _, ok := conn.(Batcher); ok {
		return refreshingBatcher{c}, nil
	}
	return c, nil
}

// acquire returns the current connector, held for one call until release.
func (c *RefreshingConnector) acquire() *built {
	for {
		b := c.cur.Load()
		b.inUse.RLock()
		if !b.retired {
			return b
		}
		b.inUse.RUnlock() // replaced and closed meanwhile: take the new one
	}
}

func (b *built) release() { b.inUse.RUnlock() }

// retire closes a replaced connector once its calls have returned.
func retire(b *built) {
	go func() {
		b.inUse.Lock()
		b.retired = true
		b.inUse.Unlock()
		if closer, ok := b.conn.(io.Closer); ok {
			_ = closer.Close()
		}
	}()
}

// Close closes the current connector when it holds a connection.
func (c *RefreshingConnector) Close() error {
	b := c.cur.Load()
	b.inUse.Lock()
	defer b.inUse.Unlock()
	b.retired = true
	if closer, ok := b.conn.(io.Closer); ok {
		return closer.Close()
	}
	return nil
}

// Upsert implements Connector.
func (c *RefreshingConnector) Upsert(ctx context.Context, r Record) (Result, error) {
	var res Result
	err := c.call(ctx, func(conn Connector) (err error) {
		res, err = conn.Upsert(ctx, r)
		return err
	})
	return res, err
}

// Delete implements Connector.
func (c *RefreshingConnector) Delete(ctx context.Context, r Record) error {
	return c.call(ctx, func(conn Connector) error { return conn.Delete(ctx, r) })
}

// call runs fn on the current connector and, when the back-end refused its
// credentials and a refresh produced another connector, once more on that.
func (c *RefreshingConnector) call(ctx context.Context, fn func(Connector) error) error {
	used := c.acquire()
	err := fn(used.conn)
	used.release()
	if !CredentialsRefused(err) {
		return err
	}
	if !c.refresh(ctx, used) {
		return err
	}
	next := c.acquire()
	defer next.release()
	return fn(next.conn)
}

// MaxBatch implements Batcher.
func (b refreshingBatcher) MaxBatch() int {
	cur := b.acquire()
	defer cur.release()
	return cur.conn.(Batcher).MaxBatch()
}

// UpsertBatch implements Batcher: the records refused for their
// credentials are retried once, together, with the rebuilt connector.
func (b refreshingBatcher) UpsertBatch(ctx context.Context, rs []Record) ([]Result, []error) {
	used := b.acquire()
	results, errs := used.conn.(Batcher).UpsertBatch(ctx, rs)
	used.release()
	var refused []int
	for i, err := range errs {
		if CredentialsRefused(err) {
			refused = append(refused, i)
		}
	}
	if len(refused) == 0 || len(results) != len(rs) || !b.refresh(ctx, used) {
		return results, errs
	}
	next := b.acquire()
	defer next.release()
	nb, ok := next.conn.(Batcher)
	if !ok {
		return results, errs
	}
	retry := make([]Record, len(refused))
	for j, i := range refused {
		retry[j] = rs[i]
	}
	r2, e2 := nb.UpsertBatch(ctx, retry)
	if len(r2) != len(retry) || len(e2) != len(retry) {
		return results, errs
	}
	for j, i := range refused {
		results[i], errs[i] = r2[j], e2[j]
	}
	return results, errs
}

// refresh reports whether there is another connector to retry with than
// used: false when the secret has not changed, or reading it or building
// failed (the caller returns the original error; a refresh failure is not
// the record's fault).
func (c *RefreshingConnector) refresh(ctx context.Context, used *built) bool {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if c.cur.Load() != used {
		return true // another caller refreshed while we waited
	}
	if !c.checked.IsZero() && c.now().Sub(c.checked) < recheckAfter {
		return false
	}
	if inv, ok := c.secrets.(invalidator); ok {
		inv.Invalidate(c.secret)
	}
	raw, err := c.secrets.Secret(ctx, c.secret)
	if err != nil {
		return false
	}
	digest := sha256.Sum256(raw)
	if digest == used.digest {
		c.checked = c.now()
		return false
	}
	conn, err := c.build(raw)
	if err != nil {
		return false
	}
	c.cur.Store(&built{conn: conn, digest: digest})
	c.checked = time.Time{}
	retire(used)
	return true
}

// CredentialsRefused reports whether err says the back-end refused the
// credentials themselves (see RefreshingConnector).
func CredentialsRefused(err error) bool {
	if err == nil {
		return false
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return false
	}
	if fe.Class == fault.Auth {
		return true
	}
	switch fe.Code {
	case "invalid_client", "invalid_grant", "unauthorized_client":
		return true
	}
	return false
}

// OptOut implements OptOuter for connectors that have an opt-out; for one
// that has none it fails permanently, as the unwrapped connector would at
// the sync handler.
func (c *RefreshingConnector) OptOut(ctx context.Context, r Record) error {
	return c.optional(ctx, "opt-out", func(conn Connector) (bool, error) {
		o, ok := conn.(OptOuter)
		if !ok {
			return false, nil
		}
		return true, o.OptOut(ctx, r)
	})
}

// Deactivate implements Deactivator the same way.
func (c *RefreshingConnector) Deactivate(ctx context.Context, r Record) error {
	return c.optional(ctx, "deactivate", func(conn Connector) (bool, error) {
		d, ok := conn.(Deactivator)
		if !ok {
			return false, nil
		}
		return true, d.Deactivate(ctx, r)
	})
}

// optional runs an optional operation of the connector with the same
// refresh-once on refused credentials as Upsert and Delete.
func (c *RefreshingConnector) optional(ctx context.Context, what string, op func(Connector) (bool, error)) error {
	has := true
	err := c.call(ctx, func(conn Connector) error {
		ok, err := op(conn)
		has = ok
		return err
	})
	if !has {
		return fault.Wrap(fault.Permanent, fmt.Errorf("target %s: its connector has no %s", c.name, what))
	}
	return err
}
