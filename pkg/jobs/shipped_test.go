package jobs_test

import (
	"testing"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// Every shipped job loads, in every environment it names.
func TestShippedJobsLoad(t *testing.T) {
	for _, env := range []string{"", "staging"} {
		set, err := jobs.Loader{Mapping: plugins.All.Loader(), Environment: env}.LoadFS(mappings.FS, jobs.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if j := set.Get("newsletter"); j == nil || j.Kind != jobs.KindExport {
			t.Errorf("%q: the newsletter export is not shipped", env)
		}
	}
}
