package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// erase queues a delete for every target and the ledger follows it: a
// target whose delete fails once stays pending (with the failure), then
// fails for good; the other confirms. log shows the ledger.
func TestEraseAndTheLedger(t *testing.T) {
	s, dir := startStack(t)
	mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	s.Sandbox.Salesforce.FailNext(1, 503, "SERVER_UNAVAILABLE")
	s.Sandbox.Salesforce.FailNext(1000, 400, "INVALID_OPERATION")

	r := runCLI(t, "erase", jane, "--url", s.URL, "--data", dir)
	if r.code != 0 || !regexp.MustCompile(`^erasure erase-[0-9a-f]{16} of `+jane+` queued for salesforce, webhook\n`).MatchString(r.stdout) {
		t.Fatalf("erase: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	eventually(t, 15*time.Second, "salesforce's erasure pending with its failure", func() bool {
		return regexp.MustCompile(`(?m)^  \S+  salesforce +pending: .*503`).MatchString(mustRun(t, "log", jane, "--data", dir))
	})
	eventually(t, 30*time.Second, "salesforce's erasure failed", func() bool {
		return strings.Contains(mustRun(t, "log", jane, "--data", dir), "salesforce   failed")
	})
	out := mustRun(t, "log", jane, "--data", dir)
	for _, re := range []string{
		`(?m)^erasures:$`,
		`(?m)^  \S+Z  salesforce +failed \S+Z: .*INVALID_OPERATION.*  \(event erase-[0-9a-f]{16}\)$`,
		`(?m)^  \S+Z  webhook +confirmed \S+Z  \(event erase-[0-9a-f]{16}\)$`,
		`(?m)^\S+Z  salesforce +deleted +retrying \(attempt 1\): .*503`,
		`(?m)^\S+Z  salesforce +deleted +dead-lettered after 2 attempt\(s\): .*INVALID_OPERATION`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no match for %s in:\n%s", re, out)
		}
	}

	// Asked again with --wait: the webhook holds nothing any more (skipped
	// or confirmed); salesforce fails again, so the exit is 1.
	r = runCLI(t, "erase", jane, "--url", s.URL, "--data", dir, "--wait")
	if r.code != 1 || !regexp.MustCompile(`(?m)^  salesforce +failed `).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^  webhook +(confirmed|skipped)`).MatchString(r.stdout) {
		t.Errorf("erase --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "erase", jane, "--data", dir, "--source", "nosuch"); r.code != 2 || !strings.Contains(r.stderr, `--source "nosuch": want one of cidaas`) {
		t.Errorf("unrouted source: exit %d %s", r.code, r.stderr)
	}
}
