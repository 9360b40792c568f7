package jobs_test

import (
	"testing"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// A cleanup job is shipped and loads.
func TestShippedCleanupLoads(t *testing.T) {
	set, err := jobs.Loader{Mapping: plugins.All.Loader()}.LoadFS(mappings.FS, jobs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	j := set.Get("cleanup")
	if j == nil || j.Kind != jobs.KindCleanup || j.Cleanup == nil || len(j.Cleanup.LapsedConsents) == 0 || j.Cleanup.Inactive == nil {
		t.Fatalf("the cleanup job is not shipped whole: %+v", j)
	}
}
