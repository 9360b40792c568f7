package jobsfn

import (
	"context"
	"fmt"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/synclogjob"
)

// syncLog runs a synclog job: the whole hours not yet exported, one
// NDJSON file each, into the job's destination (pkg/jobs/synclogjob);
// near the deadline it asks for a continuation as an export does.
func (r *Runner) syncLog(ctx context.Context, j *jobs.Job, dest export.Destination, f export.Format) (jobs.Result, error) {
	if r.p.SyncLog == nil {
		return jobs.Result{}, fmt.Errorf("job %s: no sync log to export here (SYNC_LOG_TABLE on AWS, the local stack's database)", j.Name)
	}
	x := &synclogjob.Exporter{Log: r.p.SyncLog, Dest: dest, Format: f, Checkpoints: r.p.Checkpoints,
		Now: r.p.NowFunc(), Logger: r.p.Logger()}
	return r.continued(ctx, j)(x.Run(ctx, j))
}
