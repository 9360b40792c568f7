package stack

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	targetreg "github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/fault"
)

// RefreshableSecrets is Secrets with a cache that can be dropped
// (pkg/awsadapter.Secrets), so a rotated secret is read at once.
type RefreshableSecrets interface {
	Secrets
	Invalidate(name string)
}

// recheckAfter bounds how often an unchanged secret is read again after
// refused credentials: a back-end that keeps refusing a secret nobody
// rotated must not turn every record into a Secrets Manager call.
const recheckAfter = time.Minute

// RefreshingConnector is a connector.Connector that survives secret rotation:
// when the back-end refuses the credentials it drops the cached secret,
// reads it again and, if it changed, rebuilds the connector and retries the
// call once. An unchanged secret means a retry cannot help, so the refusal
// is returned as it came.
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
	secrets RefreshableSecrets
	build   func(secret []byte) (connector.Connector, error)
	now     func() time.Time

	cur atomic.Pointer[built]

	refreshMu sync.Mutex // one refresh at a time; guards checked
	checked   time.Time  // when cur's secret was last found unchanged
}

// built is one connector and the digest of the secret it was built from.
type built struct {
	conn   connector.Connector
	digest [sha256.Size]byte
}

// refreshingBatcher is a RefreshingConnector over a connector.Batcher, so
// wrapping does not hide batching from the sync handler.
type refreshingBatcher struct{ *RefreshingConnector }

var (
	_ connector.Connector = (*RefreshingConnector)(nil)
	_ connector.Batcher   = refreshingBatcher{}
)

// NewRefreshingConnector reads secretName and builds the first connector;
// the result is a connector.Batcher when that connector is one. name (the
// target) is for errors only.
func NewRefreshingConnector(ctx context.Context, name, secretName string, secrets RefreshableSecrets,
	build func(secret []byte) (connector.Connector, error)) (connector.Connector, error) {
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
	if _, ok := conn.(connector.Batcher); ok {
		return refreshingBatcher{c}, nil
	}
	return c, nil
}

// RefreshingConnector builds target's connector from its mapping and secret,
// wrapped in a RefreshingConnector. It needs Secrets that can be
// invalidated.
func (c Config) RefreshingConnector(ctx context.Context, name string) (connector.Connector, error) {
	m := c.Mappings.Get(name)
	if m == nil {
		return nil, fmt.Errorf("target %q has no mapping file", name)
	}
	secrets, ok := c.Secrets.(RefreshableSecrets)
	if !ok {
		return nil, fmt.Errorf("target %s: secrets %T cannot be invalidated", name, c.Secrets)
	}
	kind, ok := targetreg.Lookup(m.Connector)
	if !ok {
		return nil, fmt.Errorf("target %s: unknown connector %q", name, m.Connector)
	}
	hc := c.httpClient()
	return NewRefreshingConnector(ctx, name, m.Secret, secrets, func(secret []byte) (connector.Connector, error) {
		return kind.New(name, m.Settings, secret, hc)
	})
}

// Upsert implements connector.Connector.
func (c *RefreshingConnector) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	b := c.cur.Load()
	res, err := b.conn.Upsert(ctx, r)
	if !CredentialsRefused(err) {
		return res, err
	}
	next, ok := c.refresh(ctx, b)
	if !ok {
		return res, err
	}
	return next.conn.Upsert(ctx, r)
}

// Delete implements connector.Connector.
func (c *RefreshingConnector) Delete(ctx context.Context, r connector.Record) error {
	b := c.cur.Load()
	err := b.conn.Delete(ctx, r)
	if !CredentialsRefused(err) {
		return err
	}
	next, ok := c.refresh(ctx, b)
	if !ok {
		return err
	}
	return next.conn.Delete(ctx, r)
}

// MaxBatch implements connector.Batcher.
func (b refreshingBatcher) MaxBatch() int { return b.cur.Load().conn.(connector.Batcher).MaxBatch() }

// UpsertBatch implements connector.Batcher: the records refused for their
// credentials are retried once, together, with the rebuilt connector.
func (b refreshingBatcher) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	used := b.cur.Load()
	results, errs := used.conn.(connector.Batcher).UpsertBatch(ctx, rs)
	var refused []int
	for i, err := range errs {
		if CredentialsRefused(err) {
			refused = append(refused, i)
		}
	}
	if len(refused) == 0 || len(results) != len(rs) {
		return results, errs
	}
	next, ok := b.refresh(ctx, used)
	if !ok {
		return results, errs
	}
	nb, ok := next.conn.(connector.Batcher)
	if !ok {
		return results, errs
	}
	retry := make([]connector.Record, len(refused))
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

// refresh returns a connector to retry with, and false when there is none:
// the secret has not changed, or reading it or building failed (logged by
// the caller through the original error; a refresh failure is not the
// record's fault).
func (c *RefreshingConnector) refresh(ctx context.Context, used *built) (*built, bool) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if cur := c.cur.Load(); cur != used {
		return cur, true // another caller refreshed while we waited
	}
	if !c.checked.IsZero() && c.now().Sub(c.checked) < recheckAfter {
		return nil, false
	}
	c.secrets.Invalidate(c.secret)
	raw, err := c.secrets.Secret(ctx, c.secret)
	if err != nil {
		return nil, false
	}
	digest := sha256.Sum256(raw)
	if digest == used.digest {
		c.checked = c.now()
		return nil, false
	}
	conn, err := c.build(raw)
	if err != nil {
		return nil, false
	}
	next := &built{conn: conn, digest: digest}
	c.cur.Store(next)
	c.checked = time.Time{}
	return next, true
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

// OptOut implements connector.OptOuter for connectors that have an opt-out;
// for one that has none it fails permanently, as the unwrapped connector
// would at the sync handler.
func (c *RefreshingConnector) OptOut(ctx context.Context, r connector.Record) error {
	return c.optional(ctx, "opt-out", func(conn connector.Connector) (bool, error) {
		o, ok := conn.(connector.OptOuter)
		if !ok {
			return false, nil
		}
		return true, o.OptOut(ctx, r)
	})
}

// Deactivate implements connector.Deactivator the same way.
func (c *RefreshingConnector) Deactivate(ctx context.Context, r connector.Record) error {
	return c.optional(ctx, "deactivate", func(conn connector.Connector) (bool, error) {
		d, ok := conn.(connector.Deactivator)
		if !ok {
			return false, nil
		}
		return true, d.Deactivate(ctx, r)
	})
}

// optional runs an optional operation of the connector with the same
// refresh-once on refused credentials as Upsert and Delete.
func (c *RefreshingConnector) optional(ctx context.Context, what string, call func(connector.Connector) (bool, error)) error {
	b := c.cur.Load()
	ok, err := call(b.conn)
	if !ok {
		return fault.Wrap(fault.Permanent, fmt.Errorf("target %s: its connector has no %s", c.name, what))
	}
	if !CredentialsRefused(err) {
		return err
	}
	next, refreshed := c.refresh(ctx, b)
	if !refreshed {
		return err
	}
	_, err = call(next.conn)
	return err
}

var (
	_ connector.OptOuter    = (*RefreshingConnector)(nil)
	_ connector.Deactivator = (*RefreshingConnector)(nil)
)
