package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// status tells where each queue stands and the last failures: a
// Salesforce that answers 503 leaves the event retrying, with its class
// and the back-end's code, and none of the record.
func TestStatusShowsRetryingAndTheLastFailure(t *testing.T) {
	s, dir := startStack(t)
	s.Sandbox.Salesforce.FailNext(1000, 503, "SERVER_UNAVAILABLE")
	mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir, "--no-wait")
	eventually(t, 15*time.Second, "a retry at salesforce", func() bool {
		return strings.Contains(mustRun(t, "status", "--data", dir), "last failures at salesforce:")
	})
	out := mustRun(t, "status", "--data", dir)
	if !regexp.MustCompile(`(?m)^TARGET +QUEUED +IN FLIGHT +RETRYING +DLQ +OLDEST$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^salesforce +\d+ +\d+ +[1-9]\d* +0 +\S+$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  \S+ +retrying +event 5c1e9a2b-7d3f-4a6e-9b0c-1d2e3f4a5b6c: .*transient`).MatchString(out) {
		t.Errorf("status:\n%s", out)
	}
	if strings.Contains(out, "jane.doe@example.com") || strings.Contains(out, "Jane") {
		t.Errorf("status shows personal data:\n%s", out)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--data", dir, "--output", "json")), &js); err != nil || len(js) != 3 {
		t.Fatalf("status --output json: %v %v", js, err)
	}
	names := []string{js[0]["target"].(string), js[1]["target"].(string), js[2]["target"].(string)}
	if strings.Join(names, ",") != "claims,salesforce,webhook" {
		t.Errorf("targets = %v", names)
	}
}
