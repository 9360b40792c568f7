package jobsfn

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/profile"
)

// synthetic is a paging source of n generated profiles (no HTTP: the
// run's own cost is measured, not a fake's).
type synthetic struct {
	n     int
	calls atomic.Int64
}

func (s *synthetic) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	s.calls.Add(1)
	off, _ := strconv.Atoi(cursor)
	end := min(off+size, s.n)
	out := make([]*profile.Profile, 0, end-off)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := off; i < end; i++ {
		t := at.Add(time.Duration(i) * time.Second)
		out = append(out, &profile.Profile{Sub: fmt.Sprintf("sub-%08d", i), Email: fmt.Sprintf("User%d@Example.com", i),
			GivenName: "Given", FamilyName: "Family", Locale: "de-DE", UpdatedAt: &t,
			Address:  &profile.Address{Country: "DE", Locality: "Berlin"},
			Consents: map[string]profile.Consent{"newsletter": {Granted: i%2 == 0}}})
	}
	next := ""
	if end < s.n {
		next = strconv.Itoa(end)
	}
	return out, next, nil
}

// discard is a Destination that counts bytes.
type discard struct{ bytes atomic.Int64 }

type discardObj struct {
	d *discard
	n int64
}

func (d *discard) Create(context.Context, string) (export.Object, error) {
	return &discardObj{d: d}, nil
}
func (o *discardObj) Write(p []byte) (int, error)           { o.n += int64(len(p)); return len(p), nil }
func (o *discardObj) Commit(context.Context) (int64, error) { o.d.bytes.Add(o.n); return o.n, nil }
func (o *discardObj) Abort(context.Context) error           { return nil }

const benchJob = `version: 1
kind: export
schedule: {rate: 1 day}
source: synthetic
fields:
  id: sub
  email: {from: email, transform: [trim, lower]}
  given_name: given_name
  family_name: family_name
  locale: locale
  country: address.country
  newsletter: consents.newsletter.granted
  updated_at: updated_at
format: {type: %s, gzip: true}
destination: {kind: dir, path: /unused}
limits: {page_size: 1000, segment_rows: 100000}
`

// BenchmarkExport runs the newsletter-shaped export of a million
// synthetic profiles end to end (list, filter, fields, encode, gzip,
// checksum, commit, checkpoint) and reports profiles/s, list calls per
// 1,000 profiles and the peak heap and RSS.
func BenchmarkExport(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("EXPORT_PROFILES")); err == nil && v > 0 {
		n = v
	}
	for _, format := range []string{"csv", "parquet"} {
		b.Run(format, func(b *testing.B) {
			j, err := jobs.Loader{}.Parse("bench.yaml", []byte(fmt.Sprintf(benchJob, format)))
			if err != nil {
				b.Fatal(err)
			}
			f := export.Format{Type: format, Gzip: true}
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			b.ResetTimer()
			var calls int64
			for i := 0; i < b.N; i++ {
				src := &synthetic{n: n}
				x := &jobs.Exporter{Lister: src, Output: output{dest: &discard{}, format: f}, Checkpoints: jobs.NewMemoryCheckpoints(),
					Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
				res, err := x.Run(context.Background(), j)
				if err != nil || !res.Done || res.Checkpoint.Rows != int64(n) {
					b.Fatalf("run: %+v %v", res.Checkpoint.Rows, err)
				}
				calls += src.calls.Load()
			}
			b.StopTimer()
			close(stop)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
			b.ReportMetric(float64(calls)/float64(b.N)/(float64(n)/1000), "list_calls/1000")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak_heap_MiB")
			b.ReportMetric(float64(vmHWM())/(1<<20), "peak_rss_MiB")
		})
	}
}

// vmHWM is the process's peak resident set (Linux), 0 elsewhere.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
