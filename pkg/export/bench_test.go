package export_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/profilesync/profilesync/pkg/export"
)

// Run with: go test ./pkg/export -run '^$' -bench Segment -benchtime 1x
//
// Each iteration writes one segment of a million rows of eight columns to
// a destination that counts and discards, and reports rows per second and
// the peak of HeapInuse sampled every 16Ki rows (-benchmem's B/op is the
// total allocated, not what is live at once).
const benchRows = 1_000_000

func BenchmarkSegmentCSV(b *testing.B) { benchSegment(b, export.Format{Type: export.CSV}) }
func BenchmarkSegmentCSVGzip(b *testing.B) {
	benchSegment(b, export.Format{Type: export.CSV, Gzip: true})
}
func BenchmarkSegmentNDJSON(b *testing.B)  { benchSegment(b, export.Format{Type: export.NDJSON}) }
func BenchmarkSegmentParquet(b *testing.B) { benchSegment(b, export.Format{Type: export.Parquet}) }
func BenchmarkSegmentParquetGzip(b *testing.B) {
	benchSegment(b, export.Format{Type: export.Parquet, Gzip: true})
}

// The CSV encrypted to an RSA key (go-crypto makes it; GnuPG's are the
// same to encrypt to): the OpenPGP layer's cost beside BenchmarkSegmentCSV.
func BenchmarkSegmentCSVEncrypted(b *testing.B) {
	_, pub := goCryptoKey(b, &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	benchSegment(b, export.Format{Type: export.CSV, Recipient: pub})
}

func benchSegment(b *testing.B, f export.Format) {
	columns := []string{"id", "email", "active", "visits", "score", "updated_at", "country", "note"}
	base := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	row := make([]any, len(columns))
	ctx := context.Background()
	var peak uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	var stored int64
	b.ResetTimer()
	for range b.N {
		dest := &discard{}
		s, err := export.NewSegment(ctx, dest, "bench"+f.Extension(), f, columns)
		if err != nil {
			b.Fatal(err)
		}
		for i := range benchRows {
			row[0] = "u-" + strconv.Itoa(i)
			row[1] = "user" + strconv.Itoa(i) + "@example.invalid"
			row[2] = i%3 == 0
			row[3] = i % 1000
			row[4] = float64(i) / 7
			row[5] = base.Add(time.Duration(i) * time.Second)
			row[6] = []string{"DE", "FR", "NL", "US"}[i%4]
			row[7] = nil
			if i%5 == 0 {
				row[7] = "note, with \"quotes\""
			}
			if err := s.Write(row); err != nil {
				b.Fatal(err)
			}
			if i%(16<<10) == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		info, err := s.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
		stored = info.Bytes
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak-min(peak, before))/(1<<20), "peak-heap-growth-MiB")
	b.ReportMetric(float64(stored)/(1<<20), "file-MiB")
}

// discard is a Destination that counts bytes and keeps none.
type discard struct{}

func (discard) Create(context.Context, string) (export.Object, error) { return &discardObject{}, nil }

type discardObject struct{ n int64 }

func (o *discardObject) Write(p []byte) (int, error)           { o.n += int64(len(p)); return len(p), nil }
func (o *discardObject) Commit(context.Context) (int64, error) { return o.n, nil }
func (o *discardObject) Abort(context.Context) error           { return nil }
