package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// sliceLister pages through profiles by offset, like an API would; it can
// throttle a page once. The platforms' listers are tested against their
// sandbox fakes; this one tests the run around them.
type sliceLister struct {
	profiles []*profile.Profile
	throttle map[string]bool // cursor → throttle once
	calls    int
}

func (l *sliceLister) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	l.calls++
	if l.throttle[cursor] {
		delete(l.throttle, cursor)
		return nil, "", &fault.Error{Class: fault.Throttled, Status: 429, RetryAfter: time.Millisecond}
	}
	off := 0
	if cursor != "" {
		off, _ = strconv.Atoi(cursor)
	}
	end := min(off+size, len(l.profiles))
	next := ""
	if end < len(l.profiles) {
		next = strconv.Itoa(end)
	}
	return l.profiles[off:end], next, nil
}

// memOutput keeps files in memory; creating a name again replaces it
// when committed, as S3 and the SFTP rename do. failAfter fails the
// commit of that many-th segment (a crash mid-run).
type memOutput struct {
	mu        sync.Mutex
	files     map[string][][]any
	manifest  map[string]Manifest
	commits   int
	failAfter int
}

func newMemOutput() *memOutput {
	return &memOutput{files: map[string][][]any{}, manifest: map[string]Manifest{}}
}

type memSegment struct {
	o    *memOutput
	name string
	rows [][]any
}

func (s *memSegment) Write(row []any) error { s.rows = append(s.rows, row); return nil }
func (s *memSegment) Abort(context.Context) error {
	s.rows = nil
	return nil
}
func (s *memSegment) Close(context.Context) (File, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	s.o.commits++
	if s.o.failAfter > 0 && s.o.commits == s.o.failAfter {
		return File{}, errors.New("connection reset")
	}
	s.o.files[s.name] = s.rows
	return File{Name: s.name, Rows: int64(len(s.rows)), SHA256: fmt.Sprintf("sum-%d", len(s.rows))}, nil
}

func (o *memOutput) Segment(_ context.Context, name string, _ []string) (Segment, error) {
	return &memSegment{o: o, name: name}, nil
}
func (o *memOutput) Manifest(_ context.Context, name string, m Manifest) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.manifest[name] = m
	return nil
}
func (o *memOutput) Extension() string { return ".csv" }

func (o *memOutput) subjects(run string) []string {
	var names []string
	for n := range o.files {
		if strings.HasPrefix(n, run+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		for _, r := range o.files[n] {
			out = append(out, r[0].(string))
		}
	}
	return out
}

func profiles(n int, at time.Time) []*profile.Profile {
	out := make([]*profile.Profile, n)
	for i := range out {
		t := at.Add(time.Duration(i) * time.Second)
		out[i] = &profile.Profile{Sub: fmt.Sprintf("s%04d", i), Email: fmt.Sprintf("u%d@example.com", i), UpdatedAt: &t,
			Consents: map[string]profile.Consent{"newsletter": {Granted: i%2 == 0}}}
	}
	return out
}

const exportJob = `version: 1
kind: export
schedule: {cron: "0 2 * * ? *", timezone: Europe/Berlin}
source: cidaas
filter: consents.newsletter.granted
fields:
  id: sub
  email: {from: email, transform: [lower]}
format: {type: csv, gzip: true}
destination: {kind: dir, path: /tmp/x}
limits: {page_size: 10, segment_rows: 25}
`

func job(t *testing.T, src string) *Job {
	t.Helper()
	j, err := Loader{}.Parse("newsletter.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestExportWritesSegmentsAndTheManifestLast(t *testing.T) {
	j := job(t, exportJob)
	l := &sliceLister{profiles: profiles(101, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), throttle: map[string]bool{"30": true}}
	out, cps := newMemOutput(), NewMemoryCheckpoints()
	x := &Exporter{Lister: l, Output: out, Checkpoints: cps, Log: slog.New(slog.DiscardHandler), NewRun: func(time.Time) string { return "r1" }}
	res, err := x.Run(context.Background(), j)
	if err != nil || !res.Done {
		t.Fatalf("run: %+v %v", res, err)
	}
	got := out.subjects("r1")
	if len(got) != 51 || got[0] != "s0000" || got[50] != "s0100" {
		t.Fatalf("exported %d rows (%v…)", len(got), got[:min(3, len(got))])
	}
	m := out.manifest["r1/manifest.json"]
	// Half the profiles pass the filter: five pages fill a segment of 25.
	if !m.Complete || m.Rows != 51 || len(m.Files) != 3 || m.Files[0].Name != "r1/part-00001.csv" || m.Files[0].Rows != 25 || m.Files[2].Rows != 1 {
		t.Errorf("manifest = %+v", m)
	}
	if m.Watermark != "2026-01-01T00:01:40.000000000Z" {
		t.Errorf("watermark = %s", m.Watermark)
	}
	if want := 11 + 1; l.calls != want { // 11 pages and one throttled retry
		t.Errorf("list calls = %d, want %d", l.calls, want)
	}
	if c, _ := cps.Current(context.Background(), j.Name); c != nil {
		t.Errorf("a done run left a current checkpoint: %+v", c)
	}
}

// A run that fails mid-way (a commit refused) continues from its last
// checkpoint: the files are whole, no row twice, none missing.
func TestExportResumesWithNoDuplicateAndNoGap(t *testing.T) {
	j := job(t, exportJob)
	l := &sliceLister{profiles: profiles(101, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	out, cps := newMemOutput(), NewMemoryCheckpoints()
	out.failAfter = 2
	x := &Exporter{Lister: l, Output: out, Checkpoints: cps, Log: slog.New(slog.DiscardHandler), NewRun: func(time.Time) string { return "r1" }}
	if _, err := x.Run(context.Background(), j); err == nil {
		t.Fatal("the failing commit did not fail the run")
	}
	c, _ := cps.Current(context.Background(), j.Name)
	if c == nil || len(c.Files) != 1 || c.Cursor != "50" {
		t.Fatalf("checkpoint after the failure = %+v", c)
	}
	res, err := x.Run(context.Background(), j)
	if err != nil || !res.Done {
		t.Fatalf("resumed run: %+v %v", res, err)
	}
	got := out.subjects("r1")
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Errorf("%s exported twice", s)
		}
		seen[s] = true
	}
	for i := 0; i <= 100; i += 2 {
		if !seen[fmt.Sprintf("s%04d", i)] {
			t.Errorf("s%04d missing", i)
		}
	}
	if m := out.manifest["r1/manifest.json"]; m.Rows != 51 {
		t.Errorf("manifest rows = %d", m.Rows)
	}
}

// Near its deadline a run stops between segments and says to continue.
func TestExportStopsAtTheDeadlineAndContinues(t *testing.T) {
	j := job(t, exportJob)
	l := &sliceLister{profiles: profiles(101, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	out, cps := newMemOutput(), NewMemoryCheckpoints()
	x := &Exporter{Lister: l, Output: out, Checkpoints: cps, Log: slog.New(slog.DiscardHandler), Margin: time.Hour,
		NewRun: func(time.Time) string { return "r1" }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // within the margin at once
	defer cancel()
	res, err := x.Run(ctx, j)
	if err != nil || !res.Continue || res.Done || res.Segments != 0 {
		t.Fatalf("run at the deadline: %+v %v", res, err)
	}
	x.Margin = time.Second
	res, err = x.Run(context.Background(), j)
	if err != nil || !res.Done || len(out.subjects("r1")) != 51 {
		t.Fatalf("continued: %+v %v", res, err)
	}
}

// An incremental export takes only what changed after the last run's
// watermark.
func TestIncrementalExport(t *testing.T) {
	j := job(t, strings.Replace(exportJob, "filter: consents.newsletter.granted\n", "incremental: true\n", 1))
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &sliceLister{profiles: profiles(20, at)}
	out, cps := newMemOutput(), NewMemoryCheckpoints()
	run := 0
	x := &Exporter{Lister: l, Output: out, Checkpoints: cps, Log: slog.New(slog.DiscardHandler),
		NewRun: func(time.Time) string { run++; return fmt.Sprintf("r%d", run) }}
	if res, err := x.Run(context.Background(), j); err != nil || res.Checkpoint.Rows != 20 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	later := at.Add(time.Hour)
	l.profiles[3].UpdatedAt = &later
	res, err := x.Run(context.Background(), j)
	if err != nil || res.Checkpoint.Rows != 1 || out.subjects("r2")[0] != "s0003" {
		t.Fatalf("second run: %+v %v %v", res, err, out.subjects("r2"))
	}
}
