package jobsfn

import (
	"context"
	"fmt"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// cleanup runs a cleanup job.
func (r *Runner) cleanup(_ context.Context, j *jobs.Job) (jobs.Result, error) {
	return jobs.Result{}, fmt.Errorf("job %s: cleanup jobs are not run by this version", j.Name)
}
