package jobstest_test

import (
	"testing"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/jobstest"
)

func TestMemoryCheckpoints(t *testing.T) {
	jobstest.Run(t, func(*testing.T) jobs.Checkpoints { return jobs.NewMemoryCheckpoints() })
}
