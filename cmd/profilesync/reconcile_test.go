package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// reconcile against the local stack: the sandbox Salesforce has an
// orphan carrying our key and a Contact without it; the plan creates the
// sandbox CIAM's customers, deletes the orphan and leaves the other
// alone; --apply enqueues, the running stack delivers, and the plan
// comes back empty.
func TestReconcileLocalStack(t *testing.T) {
	s, dir := startStack(t)
	s.Sandbox.Salesforce.Put("Contact", map[string]any{"ProfileSync_Id__c": "gone-subject", "LastName": "Gone"})
	s.Sandbox.Salesforce.Put("Contact", map[string]any{"LastName": "Walk-in"})
	plan := func(args ...string) map[string]any {
		t.Helper()
		var p map[string]any
		out := mustRun(t, append([]string{"reconcile", "salesforce", "--data", dir, "--url", s.URL, "--output", "json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		return p
	}
	p := plan()
	c := p["counts"].(map[string]any)
	if c["create"].(float64) < 1 || c["delete"] != float64(1) || c["unmanaged"] != float64(1) || c["update"] != float64(0) {
		t.Fatalf("counts = %v", c)
	}
	// One orphan of one managed record is 100 %: quarantined.
	r := runCLI(t, "reconcile", "salesforce", "--data", dir, "--url", s.URL, "--apply")
	if r.code == 0 || !strings.Contains(r.stdout, "QUARANTINED") || !strings.Contains(r.stderr, "nothing applied") {
		t.Fatalf("apply past the threshold: code %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := len(s.Sandbox.Salesforce.Records("Contact")); n != 2 {
		t.Fatalf("a quarantined run changed the target: %d records", n)
	}
	p = plan("--apply", "--allow-deletes")
	if p["applied"].(float64) != c["create"].(float64)+1 {
		t.Fatalf("applied %v, want creates + 1 delete", p["applied"])
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p = plan()
		if c := p["counts"].(map[string]any); c["create"] == float64(0) && c["delete"] == float64(0) && c["update"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not deliver the plan: %v", p["counts"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := mustRun(t, "reconcile", "salesforce", "--data", dir, "--url", s.URL)
	if !strings.Contains(out, "nothing to do") {
		t.Errorf("text plan:\n%s", out)
	}
	csv := mustRun(t, "reconcile", "salesforce", "--data", dir, "--url", s.URL, "--output", "csv")
	if strings.TrimSpace(csv) != "action,key,field,old,new" {
		t.Errorf("csv of an empty plan:\n%s", csv)
	}
}
