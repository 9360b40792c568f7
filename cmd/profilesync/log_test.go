package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

const jane = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b" // the cidaas samples' subject

// log tells the quickstart's story per target: created, updated with the
// field that changed, skipped unchanged, deleted, with values hashed or
// masked as the mappings say and no raw personal data.
func TestLogTellsTheQuickstartStory(t *testing.T) {
	s, dir := startStack(t)
	for _, f := range []string{"cidaas-account-created.json", "cidaas-account-modified.json", "cidaas-account-deleted.json"} {
		mustRun(t, "send", "cidaas", samples+f, "--url", s.URL, "--data", dir)
	}
	out := mustRun(t, "log", jane, "--data", dir)
	for _, re := range []string{
		`(?m)^\S+Z  salesforce +created +created, record 003\S+\n(    .*\n)*    Email: \(none\) → \S\*\*\*@\S\*\*\*\.\S+$`,
		`(?m)^\S+Z  salesforce +updated +updated, record 003\S+\n(    .*\n)*    MailingCity: h:[0-9a-f]{12} → h:[0-9a-f]{12}$`,
		`(?m)^\S+Z  webhook +updated +skipped: no mapped field changed, record c-1$`,
		`(?m)^\S+Z  salesforce +deleted +deleted, record 003\S+\n(    .*\n)*    MailingCity: h:[0-9a-f]{12} → \(none\)$`,
		`(?m)^    LeadSource: \(none\) → ProfileSync$`, // plain, as the mapping says
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no match for %s in:\n%s", re, out)
		}
	}
	for _, raw := range []string{"jane.doe@example.com", "Hamburg", "Jane"} {
		if strings.Contains(out, raw) {
			t.Errorf("log shows %q:\n%s", raw, out)
		}
	}

	only := mustRun(t, "log", jane, "--data", dir, "--target", "webhook", "--limit", "2", "--output", "json")
	var doc struct {
		Entries  []map[string]any `json:"entries"`
		Erasures []map[string]any `json:"erasures"`
	}
	if err := json.Unmarshal([]byte(only), &doc); err != nil || len(doc.Entries) != 2 {
		t.Fatalf("log --output json: %v\n%s", err, only)
	}
	es := doc.Entries
	if len(doc.Erasures) != 1 || doc.Erasures[0]["status"] != "confirmed" || doc.Erasures[0]["target"] != "webhook" {
		t.Errorf("the webhook's erasure: %v", doc.Erasures)
	}
	if es[0]["target"] != "webhook" || es[0]["outcome"] != "skipped_unchanged" || es[1]["outcome"] != "deleted" || es[1]["event_type"] != "deleted" {
		t.Errorf("the last two webhook entries: %v", es)
	}
	if ch, _ := es[1]["changes"].([]any); len(ch) == 0 {
		t.Errorf("the delete's entry has no changes: %v", es[1])
	}
	if out := mustRun(t, "log", "nobody", "--data", dir); out != "no sync log entries for nobody\n" {
		t.Errorf("unknown subject: %q", out)
	}
}
