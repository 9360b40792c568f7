package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/export/dirdest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/synclogjob"
	"github.com/profilesync/profilesync/pkg/local"
)

// exportHour is the hour the export tests' entries are around.
var exportHour = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// exportEntries are entries in the hours of 9, 10 and 11 and on their
// edges, at two targets, written out of time order, plus an undecodable
// message's (no subject).
func exportEntries() []delivery.Entry {
	h := exportHour
	at := []time.Duration{time.Hour + time.Second, -time.Nanosecond, 0, 30 * time.Minute, time.Hour - time.Nanosecond, time.Hour, 2 * time.Hour}
	var es []delivery.Entry
	for i, d := range at {
		es = append(es, delivery.Entry{Target: []string{"salesforce", "webhook"}[i%2], Subject: jane, EventID: fmt.Sprintf("e%d", i),
			EventType: "updated", MessageID: fmt.Sprintf("m%d", i), Outcome: delivery.Delivered, RecordID: "003x", At: h.Add(d),
			EventAt: h.Add(d - time.Second), Changes: []delivery.Change{{Field: "Email", Old: "h:3fa29c0e1b2d", New: "j***@e***.com"}}})
	}
	return append(es, delivery.Entry{Target: "salesforce", MessageID: "m-bad", Outcome: delivery.Abandon, Attempts: 3,
		Reason: "undecodable", At: h.Add(20 * time.Minute)})
}

// inWindow is es's entries in [since, until) of target ("" all), in time
// order, as the NDJSON lines of `log --output json`'s entries.
func inWindow(t *testing.T, es []delivery.Entry, since, until time.Time, target string) []string {
	t.Helper()
	es = slices.Clone(es)
	slices.SortStableFunc(es, func(a, b delivery.Entry) int { return a.At.Compare(b.At) })
	var lines []string
	for _, e := range es {
		if e.At.Before(since) || !e.At.Before(until) || target != "" && e.Target != target {
			continue
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return lines
}

// localLog writes es to the sync log of a local stack's data directory,
// through the constructors the stack writes with.
func localLog(t *testing.T, es []delivery.Entry) string {
	t.Helper()
	dir := t.TempDir()
	db, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := local.NewSyncLog(db, 0).Record(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ndjsonLines(t *testing.T, b []byte) []string {
	t.Helper()
	if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: %d lines\n%s\nwant %d\n%s", what, len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

// files lists the files under dir, slash-separated, hidden ones too.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// log export reads a local stack's log by time: to standard output, to
// one file (gzip by its name) of one target, and to a directory of the
// hourly files a synclog job writes, the same names and bytes; a run
// again replaces them.
func TestLogExportFromLocalStack(t *testing.T) {
	es := exportEntries()
	data := localLog(t, es)
	h := exportHour
	since, until := h.Add(-time.Hour), h.Add(time.Hour)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339Nano) }

	out := mustRun(t, "log", "export", "--data", data, "--since", rfc(since), "--until", rfc(until))
	sameLines(t, "standard output", ndjsonLines(t, []byte(out)), inWindow(t, es, since, until, ""))

	file := filepath.Join(t.TempDir(), "sf.ndjson.gz")
	r := runCLI(t, "log", "export", "--data", data, "--since", rfc(h.Add(time.Millisecond)), "--until", rfc(h.Add(time.Hour+2*time.Second)),
		"--target", "salesforce", "--to", file)
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "wrote 3 entries") {
		t.Fatalf("to a file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil || len(b) < 2 || b[0] != 0x1f {
		t.Fatalf("%s is not gzip: %v", file, err)
	}
	sameLines(t, "file of one target", ndjsonLines(t, b), inWindow(t, es, h.Add(time.Millisecond), h.Add(time.Hour+2*time.Second), "salesforce"))

	dir := filepath.Join(t.TempDir(), "synclog") + "/" // made by the export
	mustRun(t, "log", "export", "--data", data, "--since", rfc(since), "--until", rfc(until.Add(time.Hour)), "--to", dir)
	want := []string{"2026/12/02/09.ndjson.gz", "2026/12/02/10.ndjson.gz", "2026/12/02/11.ndjson.gz"}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for i, name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		hour := since.Add(time.Duration(i) * time.Hour)
		sameLines(t, name, ndjsonLines(t, b), inWindow(t, es, hour, hour.Add(time.Hour), ""))
	}

	// The scheduled job's file of the hour of 10 is the backfill's, byte
	// for byte.
	db, err := local.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobDir := t.TempDir()
	dest, err := dirdest.New(jobDir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := fs.ReadFile(mappings.FS, "jobs/synclog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := jobs.Loader{}.Parse("synclog.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	x := &synclogjob.Exporter{Log: local.NewSyncLog(db, 0), Dest: dest, Format: synclogjob.Format(shipped.Format.Gzip, ""), Checkpoints: jobs.NewMemoryCheckpoints(),
		Now: func() time.Time { return h.Add(time.Hour + 10*time.Minute) }}
	if res, err := x.Run(t.Context(), shipped); err != nil || res.Segments != 1 {
		t.Fatalf("job run: %+v, %v", res, err)
	}
	jobFile, _ := os.ReadFile(filepath.Join(jobDir, "2026/12/02/10.ndjson.gz"))
	cliFile, _ := os.ReadFile(filepath.Join(dir, "2026/12/02/10.ndjson.gz"))
	if len(jobFile) == 0 || !bytes.Equal(jobFile, cliFile) {
		t.Errorf("the job's file (%d bytes) is not the export's (%d bytes)", len(jobFile), len(cliFile))
	}

	// Again: the hours' files replaced, nothing beside them.
	mustRun(t, "log", "export", "--data", data, "--since", rfc(h), "--until", rfc(until), "--to", dir)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("after a run again, files %v, want %v", got, want)
	}
}

// Bad flags are a usage error (exit 2) naming the problem, before the
// log is opened or anything written: no file, no directory, no output.
func TestLogExportBadFlags(t *testing.T) {
	data := localLog(t, exportEntries())
	h := exportHour.Format(time.RFC3339)
	next := exportHour.Add(time.Hour).Format(time.RFC3339)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no since", []string{"--until", next}, "--since is required"},
		{"bad since", []string{"--since", "yesterday"}, "--since"},
		{"since not before until", []string{"--since", next, "--until", h}, "--since must be before --until"},
		{"a part hour to a directory", []string{"--since", exportHour.Add(time.Minute).Format(time.RFC3339), "--until", next, "--to", "DIR/"}, "whole hours"},
		{"one target to hourly files", []string{"--since", h, "--until", next, "--target", "webhook", "--to", "DIR/"}, "--target"},
		{"one target to s3", []string{"--since", h, "--until", next, "--target", "webhook", "--to", "s3://bucket/synclog/"}, "--target"},
		{"s3 without a bucket", []string{"--since", h, "--to", "s3:///synclog/"}, "want s3://BUCKET/PREFIX"},
		{"a file in no directory", []string{"--since", h, "--to", "DIR/missing/x.ndjson"}, "no directory"},
		{"a positional argument", []string{"jane", "--since", h}, ""},
		{"an unknown flag", []string{"--since", h, "--format", "csv"}, "format"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"log", "export", "--data", data}, tt.args...)
			for i, a := range args {
				args[i] = strings.Replace(a, "DIR/", out+"/synclog/", 1)
			}
			r := runCLI(t, args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "Usage: profilesync log export") {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
			if got := files(t, out); len(got) != 0 {
				t.Errorf("wrote %v", got)
			}
			if _, err := os.Stat(filepath.Join(out, "synclog")); err == nil {
				t.Errorf("made the directory %s/synclog", out)
			}
		})
	}
	// No database: an error saying so, and nothing made either.
	out := filepath.Join(t.TempDir(), "synclog") + "/"
	r := runCLI(t, "log", "export", "--data", t.TempDir(), "--since", h, "--until", next, "--to", out)
	if r.code != 1 || !strings.Contains(r.stderr, "no local database") {
		t.Errorf("no database: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("made %s without a log to export", out)
	}
}

// BenchmarkLogExportLocal is a backfill of one busy hour from a local
// stack's log to a directory: the SQLite time index read, each entry
// encoded and gzipped, the file committed.
func BenchmarkLogExportLocal(b *testing.B) {
	const n = 20000
	es := make([]delivery.Entry, n)
	for i := range es {
		es[i] = delivery.Entry{Target: []string{"salesforce", "webhook"}[i%2], Subject: fmt.Sprintf("u-%d", i%5000),
			EventID: fmt.Sprintf("e%d", i), EventType: "updated", MessageID: fmt.Sprintf("m%d", i), Outcome: delivery.Delivered,
			RecordID: "003x", At: exportHour.Add(time.Duration(i) * (time.Hour / n)), EventAt: exportHour,
			Changes: []delivery.Change{{Field: "Email", Old: "h:3fa29c0e1b2d", New: "j***@e***.com"}, {Field: "MailingCity", Old: "h:8697afcf6e90", New: "h:a5840756aa5c"}}}
	}
	data := b.TempDir()
	db, err := local.Open(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := local.NewSyncLog(db, 0).Record(b.Context(), es); err != nil {
		b.Fatal(err)
	}
	db.Close()
	dir := b.TempDir() + "/"
	args := []string{"log", "export", "--data", data, "--since", exportHour.Format(time.RFC3339), "--until", exportHour.Add(time.Hour).Format(time.RFC3339), "--to", dir}
	for b.Loop() {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
	if fi, err := os.Stat(filepath.Join(dir, "2026/12/02/10.ndjson.gz")); err == nil {
		b.ReportMetric(float64(fi.Size())/n, "gzip-bytes/entry")
	}
}
