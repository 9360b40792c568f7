package main

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestJobList(t *testing.T) {
	out := mustRun(t, "job", "list")
	if !regexp.MustCompile(`(?m)^newsletter +export +cron\(0 2 \* \* \? \*\) +Europe/Berlin +\d{4}-\d\d-\d\d 02:00 CE[S]?T +cidaas +s3://<export bucket>/newsletter/$`).MatchString(out) {
		t.Errorf("job list:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^synclog +synclog +cron\(10 \* \* \* \? \*\) +UTC +\d{4}-\d\d-\d\d \d\d:10 UTC +s3://<export bucket>/synclog/$`).MatchString(out) {
		t.Errorf("job list, the sync-log export:\n%s", out)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "job", "list", "--output", "json")), &rows); err != nil || len(rows) != 4 || rows[0]["name"] != "cleanup" || rows[1]["name"] != "newsletter" || rows[2]["name"] != "salesforce-reconcile" ||
		rows[3]["name"] != "synclog" || rows[3]["kind"] != "synclog" || rows[3]["destination"] != "s3://<export bucket>/synclog/" {
		t.Errorf("job list --output json: %v %v", rows, err)
	}
}

// job run exports the sandbox cidaas's newsletter audience (Jane only)
// as gzipped CSV beside the manifest, and a second run finds the first
// one done and starts a new run.
func TestJobRunExportsTheNewsletterAudience(t *testing.T) {
	s, dir := startStack(t)
	out := mustRun(t, "job", "run", "newsletter", "--data", dir, "--url", s.URL)
	m := regexp.MustCompile(`(?m)^job newsletter: run (\S+) done in \S+: 3 profiles listed, 1 rows in 1 file\(s\)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("job run:\n%s", out)
	}
	runDir := filepath.Join(dir, "exports", "export-bucket", "newsletter", m[1])
	f, err := os.Open(filepath.Join(runDir, "part-00001.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") != "id,email,given_name,family_name,locale,country,updated_at" ||
		recs[1][1] != "jane.doe@example.com" {
		t.Fatalf("the file: %v %v", recs, err)
	}
	var man map[string]any
	b, err := os.ReadFile(filepath.Join(runDir, "manifest.json"))
	if err != nil || json.Unmarshal(b, &man) != nil || man["complete"] != true || man["rows"] != float64(1) {
		t.Errorf("manifest: %s %v", b, err)
	}
	// A dry run with --since after every profile's update exports nothing
	// and touches no checkpoint or file of the stack.
	out = mustRun(t, "job", "run", "newsletter", "--data", dir, "--url", s.URL, "--dry-run", "--since", "2099-01-01T00:00:00Z")
	if !strings.Contains(out, ": 3 profiles listed, 0 rows in 1 file(s) (changed after 2099-01-01T00:00:00.000000000Z)") {
		t.Errorf("dry run:\n%s", out)
	}
	if r := runCLI(t, "job", "run", "nosuch", "--data", dir, "--url", s.URL); r.code != 2 || !strings.Contains(r.stderr, "jobs: cleanup, newsletter") {
		t.Errorf("an unknown job: exit %d %s", r.code, r.stderr)
	}
}
