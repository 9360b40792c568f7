package jobsfn

import (
	"context"
	"fmt"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// reconcile runs a reconcile job.
func (r *Runner) reconcile(_ context.Context, j *jobs.Job) (jobs.Result, error) {
	return jobs.Result{}, fmt.Errorf("job %s: reconcile jobs are not run by this version", j.Name)
}
