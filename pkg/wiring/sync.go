package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/metrics"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
)

// RetryQueue is the target's own queue as the sync handler uses it:
// scheduling a retry (ChangeMessageVisibility) and dead-lettering with a
// reason.
type RetryQueue interface {
	delivery.Visibility
	delivery.DeadLetters
}

// SyncPorts are one target's sync function's ports.
type SyncPorts struct {
	Function
	Plugins
	Target    string
	State     delivery.StateStore // DynamoDB on AWS, SQLite locally
	Queue     RetryQueue          // the target's queue and DLQ
	Abandoned delivery.AbandonedLog
	// Notifier hears of every synced and abandoned message: EventBridge on
	// AWS (when the deployment has a bus), a table locally. Optional.
	Notifier delivery.Notifier
	// Retries hears of every retry scheduled (optional: the local stack's
	// notices table, which `profilesync send` reads).
	Retries delivery.Notifier
	// Policy tunes retries; a zero Budget is the mapping's outage budget and
	// other zero fields take delivery's defaults (delivery.Policy.ForTarget).
	// The chaos harness compresses time here (TimeScale).
	Policy delivery.Policy
	// Guard rate-limits and pauses calls to a failing back-end; nil gives
	// the default guard.
	Guard *delivery.Guard
	// Bodies reads the envelopes the ingress stored aside for their size
	// (IngressPorts.Bodies). Optional.
	Bodies delivery.StoredBodies
	// Journal hears of every message's decision besides the metrics
	// (Function.Metrics) and the sync log. Optional.
	Journal delivery.Journal
	// SyncLog keeps every message's decision with its field diff: the
	// DynamoDB SyncLogTable on AWS, SQLite locally. Optional.
	SyncLog delivery.Journal
	// LogKey keys the sync log's fingerprints (delivery.Handler.LogKey):
	// the local stack's generated key file. Nil with a SyncLog: the
	// SyncLogSecret is read through Secrets, as on AWS.
	LogKey []byte
}

// SyncLogSecret names the secret with the deployment's sync-log key,
// {"key": "..."} (the template generates it once, at the first deploy).
const SyncLogSecret = "sync-log"

// syncLogKey is p.LogKey, else the SyncLogSecret's key. Without it the
// log still records every decision, with no field diff: a log is never a
// reason to stop delivering.
func (p SyncPorts) syncLogKey(ctx context.Context) []byte {
	if p.SyncLog == nil || p.LogKey != nil {
		return p.LogKey
	}
	key, err := LogKeyOf(ctx, p.Secrets)
	if err != nil {
		p.log().Warn("sync log without field diff: no key", "target", p.Target, "error", err.Error())
		return nil
	}
	return key
}

// LogKeyOf reads the sync-log key from the SyncLogSecret: its "key"
// string, at least 16 bytes.
func LogKeyOf(ctx context.Context, secrets Secrets) ([]byte, error) {
	b, err := secrets.Secret(ctx, SyncLogSecret)
	if err != nil {
		return nil, err
	}
	var s struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(b, &s); err != nil || len(s.Key) < 16 {
		return nil, fmt.Errorf("secret %s: want {\"key\": \"...\"} with at least 16 characters", SyncLogSecret)
	}
	return []byte(s.Key), nil
}

// Sync builds the delivery handler of p.Target. Its connector is built
// once, from the mapping's settings and the target's secret, inside a
// connector.RefreshingConnector, so a rotated secret is picked up when the
// back-end refuses the old one, not only when a cached copy expires.
func Sync(ctx context.Context, p SyncPorts) (*delivery.Handler, error) {
	m := p.Mappings.Get(p.Target)
	if m == nil {
		return nil, fmt.Errorf("target %q has no mapping file", p.Target)
	}
	if p.Secrets == nil || p.State == nil || p.Queue == nil || p.Abandoned == nil || p.Connectors == nil {
		return nil, fmt.Errorf("target %s: secrets, state, queue, abandoned log and connectors are required", p.Target)
	}
	hc := p.httpClient()
	conn, err := connector.NewRefreshingConnector(ctx, p.Target, m.Secret, p.Secrets, func(secret []byte) (connector.Connector, error) {
		return p.Connectors(m.Connector, p.Target, m.Settings, secret, hc)
	})
	if err != nil {
		return nil, err
	}
	_, fetchers, err := sourcereg.BuildAll(ctx, p.Sources, p.Secrets, hc)
	if err != nil {
		return nil, errors.Join(err, closeConnector(conn))
	}
	guard := p.Guard
	if guard == nil {
		guard = &delivery.Guard{}
	}
	return &delivery.Handler{
		Target:      p.Target,
		Mapping:     m,
		Connector:   conn,
		Fetchers:    fetchers,
		State:       p.State,
		Stored:      p.Bodies,
		Log:         p.log(),
		Policy:      p.Policy.ForTarget(m.Delivery),
		Visibility:  p.Queue,
		DeadLetters: p.Queue,
		Abandoned:   p.Abandoned,
		Notifier:    p.Notifier,
		Retries:     p.Retries,
		LogKey:      p.syncLogKey(ctx),
		Guard:       guard,
		Journal:     p.journal(),
		Now:         p.now(),
	}, nil
}

// journal is p.Journal, the sync log and the metrics: any of them, or nil.
func (p SyncPorts) journal() delivery.Journal {
	var m delivery.Journal
	if e := p.emitter(); e != nil {
		m = metrics.Journal{Emitter: e}
	}
	return metrics.Join(p.Journal, p.SyncLog, m)
}

func closeConnector(c connector.Connector) error {
	if closer, ok := c.(interface{ Close() error }); ok {
		return closer.Close()
	}
	return nil
}
