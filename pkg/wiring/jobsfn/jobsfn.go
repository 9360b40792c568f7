// Package jobsfn assembles the scheduled jobs function from its ports, as
// pkg/wiring does the ingress and sync functions: the Lambda
// (functions/jobs) and the local stack call this same constructor and
// differ in the ports (DynamoDB or SQLite checkpoints, S3 or a directory).
package jobsfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/synclogjob"
	"github.com/profilesync/profilesync/pkg/source"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// Destinations opens a job's destination: S3, SFTP and HTTPS on AWS; the
// local stack keeps S3 files in a directory.
type Destinations func(ctx context.Context, j *jobs.Job) (export.Destination, error)

// Ports are the jobs function's ports.
type Ports struct {
	wiring.Function
	Jobs         *jobs.Set
	Checkpoints  jobs.Checkpoints
	Destinations Destinations
	// Continue asks for the run of job to go on in a new invocation (a
	// message on the jobs queue on AWS); nil: the caller loops.
	Continue func(ctx context.Context, job string) error
	// Progress hears after every page (the CLI's progress line).
	Progress func(listed, rows int64)
	// Since starts new runs from this watermark (the CLI's --since).
	Since string
	// Cleanup jobs (cleanup.go): Queue takes the events they queue for
	// the targets (the ingress's queues); Housekeeping expires state and
	// abandoned rows (nil: the store's TTL does, as on AWS); DryRun
	// counts what a run would do and changes nothing.
	Queue        ingress.Queue
	Housekeeping Housekeeping
	DryRun       bool
	// Reconcile serves reconcile jobs (reconcile.go).
	Reconcile ReconcilePorts
	// SyncLog is the sync log synclog jobs export (synclog.go).
	SyncLog synclogjob.Reader
}

// Runner runs the jobs of a deployment.
type Runner struct {
	p       Ports
	listers map[string]source.Lister
	// envs are the sources' environments (their secrets'): the events a
	// clean-up or a reconciliation makes carry them, as the ingress's do.
	envs map[string]string
}

// New builds the runner: every job's source must be able to list.
func New(ctx context.Context, p Ports) (*Runner, error) {
	if p.Jobs == nil || p.Checkpoints == nil || p.Destinations == nil || p.Secrets == nil {
		return nil, errors.New("jobs: jobs, checkpoints, destinations and secrets are required")
	}
	// Only the sources that can list are built: the others' adapters
	// are not linked into the jobs function (sourcereg.BuildListers).
	listers, err := sourcereg.BuildListers(ctx, p.Sources, p.Secrets, p.HTTPClient())
	if err != nil {
		return nil, err
	}
	r := &Runner{p: p, listers: listers, envs: map[string]string{}}
	for _, name := range p.Sources {
		raw, err := p.Secrets.Secret(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("source %s: read secret: %w", name, err)
		}
		r.envs[name] = sourcereg.Environment(raw)
	}
	for _, j := range p.Jobs.All() {
		if j.Kind == jobs.KindSyncLog {
			continue // it reads the sync log (Ports.SyncLog), not a source
		}
		if _, ok := r.listers[j.Source]; !ok {
			return nil, fmt.Errorf("job %s: source %q cannot list its profiles (sources that can: %s)", j.Name, j.Source, strings.Join(r.names(), ", "))
		}
	}
	return r, nil
}

func (r *Runner) names() []string {
	var out []string
	for n := range r.listers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run runs (or continues) the job called name until it is done or ctx's
// deadline nears; then it asks for a continuation.
func (r *Runner) Run(ctx context.Context, name string) (jobs.Result, error) {
	j := r.p.Jobs.Get(name)
	if j == nil {
		return jobs.Result{}, fmt.Errorf("no job %q", name)
	}
	if l, ok := r.p.Checkpoints.(jobs.Leases); ok {
		// One invocation at a time per job: a schedule that fires while a
		// continuation chain runs leaves it alone. The lease ends with the
		// invocation's deadline, so a crashed one frees it.
		now := r.p.NowFunc()()
		until := now.Add(LocalLease)
		if dl, ok := ctx.Deadline(); ok {
			until = dl.Add(time.Minute)
		}
		holder := newHolder()
		got, err := l.Acquire(ctx, j.Name, holder, until, now)
		if err != nil {
			return jobs.Result{}, fmt.Errorf("job %s: %w", j.Name, err)
		}
		if !got {
			r.p.Logger().Info("job already running in another invocation; this one leaves it", "job", j.Name)
			return jobs.Result{Busy: true}, nil
		}
		defer func() {
			if err := l.Release(context.WithoutCancel(ctx), j.Name, holder); err != nil {
				r.p.Logger().Warn("job lease not released; it expires on its own", "job", j.Name, "error", err.Error())
			}
		}()
	}
	switch j.Kind {
	case jobs.KindReconcile:
		return r.reconcile(ctx, j)
	case jobs.KindCleanup:
		return r.cleanup(ctx, j)
	}
	dest, err := r.p.Destinations(ctx, j)
	if err != nil {
		return jobs.Result{}, fmt.Errorf("job %s: destination: %w", j.Name, err)
	}
	if c, ok := dest.(interface{ Close() error }); ok {
		defer c.Close() // an SFTP connection
	}
	f, err := r.format(ctx, j)
	if err != nil {
		return jobs.Result{}, err
	}
	if j.Kind == jobs.KindSyncLog {
		return r.syncLog(ctx, j, dest, f)
	}
	x := &jobs.Exporter{Lister: r.listers[j.Source], Output: output{dest: dest, format: f}, Checkpoints: r.p.Checkpoints,
		Now: r.p.NowFunc(), Log: r.p.Logger()}
	x.Progress, x.Since = r.p.Progress, r.p.Since
	return r.continued(ctx, j)(x.Run(ctx, j))
}

// continued asks for j's continuation when a run stopped short of its
// deadline (res.Continue), for exports and sync-log exports alike.
func (r *Runner) continued(ctx context.Context, j *jobs.Job) func(jobs.Result, error) (jobs.Result, error) {
	return func(res jobs.Result, err error) (jobs.Result, error) {
		if err != nil || !res.Continue || r.p.Continue == nil {
			return res, err
		}
		if err := r.p.Continue(ctx, j.Name); err != nil {
			return res, fmt.Errorf("job %s: continue: %w", j.Name, err)
		}
		return res, nil
	}
}

// format is j's export format, with the recipient's key read from its
// secret.
func (r *Runner) format(ctx context.Context, j *jobs.Job) (export.Format, error) {
	f := export.Format{Type: j.Format.Type, Delimiter: j.Format.Delimiter, Header: export.WithHeader(j.Format.Header), Gzip: j.Format.Gzip, KeepFormulas: j.Format.KeepFormulas}
	if j.Kind == jobs.KindSyncLog {
		f = synclogjob.Format(j.Format.Gzip, "")
	}
	if j.Format.EncryptTo != "" {
		raw, err := r.p.Secrets.Secret(ctx, j.Format.EncryptTo)
		if err != nil {
			return f, fmt.Errorf("job %s: read the recipient key %s: %w", j.Name, j.Format.EncryptTo, err)
		}
		var s struct {
			PublicKey string `json:"public_key"`
		}
		if err := json.Unmarshal(raw, &s); err != nil || s.PublicKey == "" {
			return f, fmt.Errorf("job %s: secret %s: want {\"public_key\": \"<armored OpenPGP public key>\"}", j.Name, j.Format.EncryptTo)
		}
		f.Recipient = s.PublicKey
	}
	return f, nil
}

// output is pkg/export as a run writes through it.
type output struct {
	dest   export.Destination
	format export.Format
}

func (o output) Extension() string { return o.format.Extension() }

func (o output) Segment(ctx context.Context, name string, columns []string) (jobs.Segment, error) {
	s, err := export.NewSegment(ctx, o.dest, name, o.format, columns)
	if err != nil {
		return nil, err
	}
	return segment{s}, nil
}

type segment struct{ s *export.Segment }

func (s segment) Write(row []any) error           { return s.s.Write(row) }
func (s segment) Abort(ctx context.Context) error { return s.s.Abort(ctx) }
func (s segment) Close(ctx context.Context) (jobs.File, error) {
	info, err := s.s.Close(ctx)
	if err != nil {
		return jobs.File{}, err
	}
	return jobs.File{Name: info.Name, Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256}, nil
}

// Manifest writes m as JSON, last.
func (o output) Manifest(ctx context.Context, name string, m jobs.Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	obj, err := o.dest.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := obj.Write(append(b, '\n')); err != nil {
		return errors.Join(err, obj.Abort(ctx))
	}
	_, err = obj.Commit(ctx)
	return err
}

// LocalLease is how long a run with no deadline (the CLI, the local
// stack) holds its job's lease at most.
const LocalLease = 6 * time.Hour

func newHolder() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
