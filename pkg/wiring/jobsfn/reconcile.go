package jobsfn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/readers"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/reconcile"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// ReconcilePorts are what reconcile jobs need beyond the other jobs'.
type ReconcilePorts struct {
	// Queue takes the applied changes: the targets' queues the ingress
	// writes to. Nil: reconcile jobs plan and report only.
	Queue ingress.Queue
	// AllowDeletes lets a plan past its accidental-deletion threshold
	// (the CLI's --allow-deletes, the operator's approval).
	AllowDeletes bool
	// Plans hears of every plan (the CLI prints it; on AWS the log line
	// carries the counts).
	Plans func(*reconcile.Plan)
	// Connectors builds a target's connector (default: pkg/connector/
	// readers, the connectors with a read side), which must be a
	// connector.Readable.
	Connectors wiring.ConnectorBuilder
}

// reconcile runs a reconcile job: it plans the target's drift and, with
// a queue and under the deletion threshold, enqueues the changes for the
// target's sync function. A quarantined plan is reported and logged
// ("reconcile quarantined", the alarm's filter) and applies nothing; the
// run is done and the next scheduled one plans again.
func (r *Runner) reconcile(ctx context.Context, j *jobs.Job) (jobs.Result, error) {
	rc, err := r.reconciler(ctx, j)
	if err != nil {
		return jobs.Result{}, fmt.Errorf("job %s: %w", j.Name, err)
	}
	p, err := rc.Reconcile(ctx)
	if p != nil && r.p.Reconcile.Plans != nil {
		r.p.Reconcile.Plans(p)
	}
	if err != nil {
		return jobs.Result{}, fmt.Errorf("job %s: %w", j.Name, err)
	}
	return jobs.Result{Run: p.Run, Rows: p.Applied, Done: !p.Quarantined}, nil
}

// reconciler assembles a job's Reconciler: the source's lister, the
// target's mapping and reader.
func (r *Runner) reconciler(ctx context.Context, j *jobs.Job) (*reconcile.Reconciler, error) {
	m := r.p.Mappings.Get(j.Target)
	if m == nil {
		return nil, fmt.Errorf("target %q has no mapping file", j.Target)
	}
	secret, err := r.p.Secrets.Secret(ctx, m.Secret)
	if err != nil {
		return nil, fmt.Errorf("target %s: read secret %s: %w", j.Target, m.Secret, err)
	}
	build := r.p.Reconcile.Connectors
	if build == nil {
		build = readers.Build
	}
	c, err := build(m.Connector, m.Name, m.Settings, secret, r.p.HTTPClient())
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", j.Target, err)
	}
	readable, ok := c.(connector.Readable)
	if !ok {
		return nil, errors.New("target " + j.Target + ": connector " + m.Connector + " cannot list its records (connectors that can: salesforce, hubspot, brevo, mailchimp, scim, ldap)")
	}
	env := r.envs[j.Source]
	reader, paths, err := readable.Reader(m.Resolve(env, "").TargetPaths())
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", j.Target, err)
	}
	rc := &reconcile.Reconciler{Target: j.Target, Source: j.Source, Environment: env, Mapping: m, Lister: r.listers[j.Source], Reader: reader,
		Paths: paths, PageSize: j.PageSize, Now: r.p.NowFunc(), Log: r.p.Logger(),
		Threshold: reconcile.Threshold{MaxCount: j.MaxDeletes, MaxPercent: j.MaxDeletesPercent, Allow: r.p.Reconcile.AllowDeletes}}
	if q := r.p.Reconcile.Queue; q != nil {
		rc.Queue = q
	}
	rc.Run = strings.ReplaceAll(r.p.NowFunc()().UTC().Format("20060102T150405.000Z"), ".", "")
	return rc, nil
}
