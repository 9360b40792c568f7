package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

func TestSandboxListJSON(t *testing.T) {
	s, dir := startStack(t)
	mustRun(t, "send", "cidaas", samples+"cidaas-account-created.json", "--url", s.URL, "--data", dir)
	var all map[string]json.RawMessage
	eventually(t, 10*time.Second, "Jane's Contact in the JSON of sandbox list", func() bool {
		out := mustRun(t, "sandbox", "list", "--output", "json", "--url", s.URL)
		all = nil
		var sf struct{ Contact []map[string]any }
		if err := json.Unmarshal([]byte(out), &all); err != nil {
			t.Fatalf("not one JSON document: %v\n%s", err, out)
		}
		if err := json.Unmarshal(all["salesforce"], &sf); err != nil {
			t.Fatalf("salesforce: %v\n%s", err, out)
		}
		return len(sf.Contact) == 1 && sf.Contact[0]["LastName"] == "Doe"
	})
	var names []string
	for n := range all {
		names = append(names, n)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(sandbox.Targets))
	if !slices.Equal(names, want) {
		t.Errorf("targets %v, want %v", names, want)
	}
	out := mustRun(t, "sandbox", "list", "salesforce", "--output", "json", "--url", s.URL)
	var one map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &one); err != nil || len(one) != 1 || one["salesforce"] == nil {
		t.Errorf("one target: %v\n%s", err, out)
	}
	if r := runCLI(t, "sandbox", "list", "--output", "yaml", "--url", s.URL); r.code != 2 || !strings.Contains(r.stderr, "want text or json") {
		t.Errorf("--output yaml: exit %d %s", r.code, r.stderr)
	}
}

func TestDLQListJSON(t *testing.T) {
	dir := t.TempDir()
	const body = `{"v":1,"target":"salesforce","event":{"profile":{"email":"jane.doe@example.com"}}}`
	deadLetter(t, dir, "salesforce", body)
	out := mustRun(t, "dlq", "list", "salesforce", "--data", dir, "--output", "json")
	var got []deadLetterJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].EventID != "evt-42" || got[0].EventType != "updated" || got[0].Source != "cidaas" ||
		got[0].Reason != "permanent: INVALID_EMAIL_ADDRESS" || got[0].BodyBytes != len(body) || got[0].ID == "" {
		t.Errorf("dead letters %+v", got)
	}
	if strings.Contains(out, "jane.doe") {
		t.Errorf("the JSON carries the body:\n%s", out)
	}
	if out := mustRun(t, "dlq", "list", "webhook", "--data", dir, "--output", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("empty DLQ: %q", out)
	}
	if r := runCLI(t, "dlq", "list", "salesforce", "--data", dir, "--output", "csv"); r.code != 2 || !strings.Contains(r.stderr, fmt.Sprintf("--output %q", "csv")) {
		t.Errorf("--output csv: exit %d %s", r.code, r.stderr)
	}
}
