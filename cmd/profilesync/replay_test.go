package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

// TestReplayBringsBackWhatWasMissing is issue 16's test: events go
// through the local stack into Salesforce; a Contact is deleted by hand
// in the org; a replay of the range brings it back and duplicates
// nothing (every replayed event upserts its Contact once, by External ID:
// the unchanged ones idempotently); a later replay of the same range,
// now older than a newer change, leaves that change alone (stale).
func TestReplayBringsBackWhatWasMissing(t *testing.T) {
	s, dir := startStack(t)
	sf := s.Sandbox.Salesforce
	t0 := time.Now()
	for _, tc := range []struct{ source, file string }{
		{"cidaas", "cidaas-account-created.json"}, // thin: Salesforce fetches Jane Doe
		{"akamai", "akamai-entity-updated.json"},  // thin
		{"clerk", "clerk-user-updated.json"},      // a full snapshot
	} {
		mustRun(t, "send", tc.source, samples+tc.file, "--url", s.URL, "--data", dir)
	}
	contacts := func() map[string]map[string]any { // by LastName
		out := map[string]map[string]any{}
		for _, r := range sf.Records("Contact") {
			out[r["LastName"].(string)] = r
		}
		return out
	}
	eventually(t, 10*time.Second, "three Contacts in Salesforce", func() bool { return len(sf.Records("Contact")) == 3 })
	t1 := time.Now()
	jane := contacts()["Doe"]
	if jane == nil || !sf.Remove("Contact", jane["Id"].(string)) {
		t.Fatalf("no Contact of Jane Doe to delete by hand: %v", contacts())
	}

	// Taken before the dry run: its queueing anything would show as
	// upserts beyond the real replay's three.
	before, webhookCalls := sf.Calls(), s.Sandbox.Webhook.Calls()
	// A dry run lists the three events for Salesforce and queues nothing.
	since, until := t0.UTC().Format(time.RFC3339Nano), t1.UTC().Format(time.RFC3339Nano)
	var dry replaySummary
	out := mustRun(t, "replay", "--since", since, "--until", until, "--target", "salesforce", "--dry-run",
		"--output", "json", "--data", dir, "--url", s.URL)
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if dry.Read != 3 || dry.Matched != 3 || dry.Queued["salesforce"] != 3 || len(dry.Queued) != 1 || len(dry.Events) != 3 {
		t.Fatalf("dry run: %+v", dry)
	}
	ids := make([]string, len(dry.Events))
	for i, e := range dry.Events {
		ids[i] = e.EventID
	}
	replayed := time.Now()
	out = mustRun(t, "replay", "--since", since, "--until", until, "--target", "salesforce", "--data", dir, "--url", s.URL)
	if !strings.Contains(out, "3 event(s) read from the archive") || !strings.Contains(out, "3 matched; queued: salesforce 3") {
		t.Fatalf("replay printed:\n%s", out)
	}
	outcomes := follow(t, s, ids, replayed)
	for _, id := range ids {
		if outcomes[id] != "delivered" {
			t.Errorf("replayed event %s: %q, want delivered (pushed again though unchanged)", id, outcomes[id])
		}
	}
	after := contacts()
	if len(sf.Records("Contact")) != 3 || after["Doe"] == nil || after["Doe"]["ProfileSync_Id__c"] != jane["ProfileSync_Id__c"] {
		t.Fatalf("after the replay: %d Contacts, Jane Doe's %v", len(sf.Records("Contact")), after["Doe"])
	}
	if got := upserts(sf.Calls()) - upserts(before); got != 3 {
		t.Errorf("%d upserts for 3 replayed events, want 3", got)
	}
	if sf.Calls().Delete != before.Delete || s.Sandbox.Webhook.Calls() != webhookCalls {
		t.Errorf("deletes %d -> %d, webhook calls %d -> %d: the replay reached what it should not",
			before.Delete, sf.Calls().Delete, webhookCalls, s.Sandbox.Webhook.Calls())
	}

	// Erika changes her name after the range; a replay of the range finds
	// its snapshot of her older than Salesforce's, and leaves it.
	newer := strings.NewReplacer(`"last_name": "Beispiel"`, `"last_name": "Neumann"`,
		`"updated_at": 1735725900000`, `"updated_at": 1735726900000`, `"timestamp": 1735725900123`, `"timestamp": 1735726900123`)
	b, err := os.ReadFile(samples + "clerk-user-updated.json")
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "clerk-renamed.json")
	if err := os.WriteFile(changed, []byte(newer.Replace(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "send", "clerk", changed, "--url", s.URL, "--data", dir)
	eventually(t, 10*time.Second, "Erika renamed in Salesforce", func() bool { return contacts()["Neumann"] != nil })
	before = sf.Calls()
	replayed = time.Now()
	mustRun(t, "replay", "--since", since, "--until", until, "--target", "salesforce", "--data", dir, "--url", s.URL)
	outcomes = follow(t, s, ids, replayed)
	stale := 0
	for _, id := range ids {
		switch outcomes[id] {
		case "skipped_stale":
			stale++
		case "delivered": // the thin events: the profile fetched now is the source's truth
		default:
			t.Errorf("replayed event %s: %q", id, outcomes[id])
		}
	}
	if stale != 1 || contacts()["Neumann"] == nil || contacts()["Beispiel"] != nil || len(sf.Records("Contact")) != 3 {
		t.Errorf("%d stale; Contacts %v: want Erika's old snapshot skipped and her new name kept", stale, contacts())
	}
	if got := upserts(sf.Calls()) - upserts(before); got != 2 {
		t.Errorf("%d upserts, want 2 (the thin events; the stale snapshot none)", got)
	}
}

// upserts counts the Contacts written, one at a time or in collections.
func upserts(c salesforce.Calls) int { return c.Upsert + c.CollectionRecords }

// follow waits until each of ids has settled at Salesforce since the
// replay and returns its outcome there.
func follow(t *testing.T, s *devstack.Stack, ids []string, since time.Time) map[string]string {
	t.Helper()
	acc := ingress.Accepted{}
	for _, id := range ids {
		acc.Routed = append(acc.Routed, ingress.Routed{EventID: id, Targets: []string{"salesforce"}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	reps, settled, err := devstack.Follow(ctx, egress.Client(egress.Local, 5*time.Second), s.URL, acc, since)
	if err != nil || !settled {
		t.Fatalf("replayed events not settled: %v %+v", err, reps)
	}
	out := map[string]string{}
	for _, r := range reps {
		out[r.EventID] = r.Targets[0].Outcome
	}
	return out
}
