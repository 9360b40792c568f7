package devstack

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/dirdest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// ExportsDir is where the local stack's exports land: an S3 destination's
// files under exports/<bucket or "export-bucket">/<prefix>.
func ExportsDir(dataDir string) string { return filepath.Join(dataDir, "exports") }

// LoadJobs loads the job files below jobs/ of fsys (nil: the embedded
// ones) as the jobs function does.
func LoadJobs(fsys fs.FS) (*jobs.Set, error) {
	if fsys == nil {
		fsys = mappings.FS
	}
	return jobs.Loader{Mapping: plugins.All.Loader()}.LoadFS(fsys, jobs.Dir)
}

// JobPorts are the jobs function's local ports: SQLite checkpoints, and
// every destination in a directory of the data directory (S3 buckets,
// SFTP servers and HTTPS endpoints are not reached from the local stack;
// the job's own `dir` destinations are). Cleanups expire state and the
// abandoned log in SQLite, which has no TTL; the caller sets Queue.
func JobPorts(fn wiring.Function, set *jobs.Set, db *local.DB, dataDir string) jobsfn.Ports {
	return jobsfn.Ports{Function: fn, Jobs: set, Checkpoints: local.NewJobCheckpoints(db), Housekeeping: local.NewState(db), SyncLog: local.NewSyncLog(db, 0),
		Destinations: func(_ context.Context, j *jobs.Job) (export.Destination, error) {
			root := JobDir(dataDir, j)
			if err := os.MkdirAll(root, 0o755); err != nil {
				return nil, err
			}
			return dirdest.New(root)
		}}
}

// JobDir is the directory a job's files go to in the local stack.
func JobDir(dataDir string, j *jobs.Job) string {
	switch j.Dest.Kind {
	case "dir":
		return j.Dest.Path
	case "s3":
		bucket := j.Dest.Bucket
		if bucket == "" {
			bucket = "export-bucket"
		}
		return filepath.Join(ExportsDir(dataDir), bucket, filepath.FromSlash(j.Dest.Prefix))
	}
	return filepath.Join(ExportsDir(dataDir), j.Dest.Kind, j.Name)
}

// startJobs runs each job on its schedule, as EventBridge Scheduler does
// on AWS, until runCtx ends; a run that stops at its deadline continues
// at once.
func (s *Stack) startJobs(ctx, runCtx context.Context, o Options) error {
	if len(s.Jobs.All()) == 0 {
		return nil
	}
	p := JobPorts(s.Function, s.Jobs, s.DB, o.DataDir)
	p.Queue = s.Queues // cleanups and reconciliations queue their events as the ingress does
	p.Reconcile.Queue = s.Queues
	r, err := jobsfn.New(ctx, p)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	s.JobRunner = r
	start := time.Now()
	for _, j := range s.Jobs.All() {
		j := j
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				next, err := j.Schedule.Next(time.Now(), start)
				if err != nil {
					o.Log.Error("job schedule", "job", j.Name, "error", err.Error())
					return
				}
				t := time.NewTimer(time.Until(next))
				select {
				case <-runCtx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				for {
					res, err := r.Run(runCtx, j.Name)
					if err != nil {
						o.Log.Warn("job failed; the next run continues it", "job", j.Name, "error", err.Error())
						break
					}
					if !res.Continue {
						o.Log.Info("job done", "job", j.Name, "run", res.Run, "rows", res.Checkpoint.Rows)
						break
					}
				}
			}
		}()
	}
	return nil
}

// JobRunOptions change a run the CLI starts (`profilesync job run`).
type JobRunOptions struct {
	// DryRun writes into a temporary directory and keeps checkpoints in
	// memory: the stack's own runs are not touched.
	DryRun bool
	// Since, with DryRun, is the watermark an incremental job starts
	// from (RFC 3339).
	Since    string
	Progress func(listed, rows int64)
	// Job is the job to be run (for the directory OpenJobs returns).
	Job string
}

// OpenJobs builds the jobs runner of the local stack whose data is in
// o.DataDir and which serves at url (its sandbox CIAM is listed): the same
// constructor and ports the stack runs. It returns the runner, a close
// function and the directory the files go to.
func OpenJobs(ctx context.Context, o Options, url string, ro JobRunOptions) (*jobsfn.Runner, func() error, string, error) {
	o = o.withDefaults()
	set, err := LoadJobs(o.Mappings)
	if err != nil {
		return nil, nil, "", err
	}
	ms, err := loadMappings(o.Mappings)
	if err != nil {
		return nil, nil, "", err
	}
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: FileSecrets{Dir: filepath.Join(o.DataDir, "secrets"), BaseURL: url},
		HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	var p jobsfn.Ports
	closeFn := func() error { return nil }
	dir := ""
	if ro.DryRun {
		tmp, err := os.MkdirTemp("", "profilesync-job-")
		if err != nil {
			return nil, nil, "", err
		}
		dir = tmp
		cps := jobs.NewMemoryCheckpoints()
		if ro.Since != "" {
			t, err := time.Parse(time.RFC3339, ro.Since)
			if err != nil {
				return nil, nil, "", fmt.Errorf("--since: want an RFC 3339 time: %w", err)
			}
			ro.Since = t.UTC().Format(jobs.WatermarkLayout)
		}
		p = jobsfn.Ports{Function: fn, Jobs: set, Checkpoints: cps, DryRun: true, Destinations: func(_ context.Context, j *jobs.Job) (export.Destination, error) {
			return dirdest.New(tmp)
		}}
	} else {
		// The queues too: a cleanup queues its events for the stack's
		// pollers, as the ingress does.
		db, queues, err := OpenQueues(o.DataDir, ms, nil, 0)
		if err != nil {
			return nil, nil, "", err
		}
		closeFn = db.Close
		p = JobPorts(fn, set, db, o.DataDir)
		p.Queue, p.Reconcile.Queue = queues, queues
		if j := set.Get(ro.Job); j != nil {
			dir = JobDir(o.DataDir, j)
		}
	}
	p.Progress, p.Since = ro.Progress, ro.Since
	r, err := jobsfn.New(ctx, p)
	if err != nil {
		_ = closeFn()
		return nil, nil, "", err
	}
	return r, closeFn, dir, nil
}
