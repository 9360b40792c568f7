package main

import (
	"regexp"
	"testing"
)

// job run runs the shipped cleanup against the sandbox cidaas and prints
// its counts; a dry run counts the same. (The demo profiles carry no
// times, so nothing is due: pkg/wiring/jobsfn tests what is queued.)
func TestJobRunCleanup(t *testing.T) {
	s, dir := startStack(t)
	line := regexp.MustCompile(`(?m)^job cleanup: run \S+ done in \S+: 3 profiles listed; queued (\d+) consent_revoked and (\d+) deleted \((\d+) messages, \d+ routed nowhere\); expired \d+ sync-state and \d+ abandoned rows$`)
	dry := line.FindStringSubmatch(mustRun(t, "job", "run", "cleanup", "--data", dir, "--url", s.URL, "--dry-run"))
	if dry == nil {
		t.Fatal("dry run: no summary line")
	}
	real := line.FindStringSubmatch(mustRun(t, "job", "run", "cleanup", "--data", dir, "--url", s.URL))
	if real == nil || real[1] != dry[1] || real[2] != dry[2] || real[3] != dry[3] {
		t.Fatalf("run %v, dry run %v", real, dry)
	}
}
