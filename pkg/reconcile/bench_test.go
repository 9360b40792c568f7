package reconcile

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

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// synthetic is a CIAM of n generated profiles, paged (no HTTP: the
// reconciliation's own cost is measured).
type synthetic struct{ n int }

func (s synthetic) profile(i int) *profile.Profile {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &profile.Profile{Sub: fmt.Sprintf("sub-%08d", i), Email: fmt.Sprintf("user%d@example.com", i),
		GivenName: "Given", FamilyName: "Family", UpdatedAt: &at,
		Consents: map[string]profile.Consent{"newsletter": {Granted: i%2 == 0}}}
}

func (s synthetic) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	off, _ := strconv.Atoi(cursor)
	end := min(off+size, s.n)
	out := make([]*profile.Profile, 0, end-off)
	for i := off; i < end; i++ {
		out = append(out, s.profile(i))
	}
	next := ""
	if end < s.n {
		next = strconv.Itoa(end)
	}
	return out, next, nil
}

// memReader is a target holding the synthetic CIAM's records, with 1 %
// stale, 1 % missing, 1 % orphans and 1 % unmanaged, generated page by
// page as a real target answers.
type memReader struct{ n int }

func (r *memReader) Records(_ context.Context, cursor string, size int) ([]connector.Record, string, error) {
	off, _ := strconv.Atoi(cursor)
	end := min(off+size, r.n)
	out := make([]connector.Record, 0, end-off)
	for i := off; i < end; i++ {
		switch i % 100 {
		case 1: // missing: not in the target
			continue
		case 2: // unmanaged
			out = append(out, connector.Record{})
			continue
		case 3: // orphan
			out = append(out, connector.Record{Key: fmt.Sprintf("gone-%08d", i), Fields: map[string]any{}})
			continue
		}
		last := "Family"
		if i%100 == 4 {
			last = "Stale"
		}
		out = append(out, connector.Record{Key: fmt.Sprintf("sub-%08d", i), Fields: map[string]any{
			"FirstName": "Given", "LastName": last, "Email": fmt.Sprintf("user%d@example.com", i),
			"Newsletter_Consent__c": i%2 == 0, "LeadSource": "ProfileSync"}})
	}
	next := ""
	if end < r.n {
		next = strconv.Itoa(end)
	}
	return out, next, nil
}

// BenchmarkReconcile plans 100,000 subjects (RECONCILE_SUBJECTS
// overrides) against an in-memory target with 1 % of each kind of drift,
// and reports subjects/s and the peak heap and RSS.
func BenchmarkReconcile(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("RECONCILE_SUBJECTS")); err == nil && v > 0 {
		n = v
	}
	m, err := mapping.Loader{}.Parse("salesforce.yaml", []byte(sfMapping))
	if err != nil {
		b.Fatal(err)
	}
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
	for i := 0; i < b.N; i++ {
		rc := &Reconciler{Target: "salesforce", Source: "cidaas", Mapping: m, Lister: synthetic{n}, Reader: &memReader{n},
			Paths: m.Base().TargetPaths(), Threshold: Threshold{MaxCount: n, MaxPercent: 100}, Queue: discardQueue{},
			PageSize: 1000, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		p, err := rc.Reconcile(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		// Missing, unmanaged and orphan slots each hide a subject: 3 % creates.
		if want := int64(n / 100); p.Counts.Create != 3*want || p.Counts.Update != want || p.Counts.Delete != want || p.Applied != 5*want {
			b.Fatalf("counts = %+v", p.Counts)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "subjects/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak_heap_MiB")
	b.ReportMetric(float64(vmHWM())/(1<<20), "peak_rss_MiB")
}

type discardQueue struct{}

func (discardQueue) SendBatch(context.Context, string, []ingress.Message) error { return nil }

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
