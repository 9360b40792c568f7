package s3dest_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
)

// BenchmarkSegmentToMoto streams a million gzip CSV rows to moto through
// the multipart destination and reports rows/s and the peak HeapInuse
// (sampled every 16Ki rows): about one part plus the encoders.
//
//	go test ./pkg/export/s3dest -run '^$' -bench SegmentToMoto -benchtime 1x
func BenchmarkSegmentToMoto(b *testing.B) {
	srv := moto.Start(b)
	ctx := context.Background()
	store, err := awsadapter.NewObjectStore(srv.AWSConfig(ctx))
	if err != nil {
		b.Fatal(err)
	}
	bucket := "export-bench"
	sdk := s3.NewFromConfig(srv.AWSConfig(ctx), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := sdk.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		b.Fatal(err)
	}
	d, _ := s3dest.New(store, s3dest.Config{Bucket: bucket})
	f := export.Format{Type: export.CSV, Gzip: true}
	const rows = 1_000_000
	row := make([]any, 8)
	var ms runtime.MemStats
	var peak uint64
	var stored int64
	b.ResetTimer()
	for n := range b.N {
		s, err := export.NewSegment(ctx, d, "bench/"+export.PartName(n+1, f), f, []string{"a", "b", "c", "d", "e", "f", "g", "h"})
		if err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			row[0] = "u-" + strconv.Itoa(i)
			row[1] = strconv.Itoa(i*7919) + "@example.invalid"
			row[2], row[3], row[4] = i%2 == 0, i, float64(i)/3
			row[5], row[6], row[7] = "DE", nil, strconv.Itoa(i*104729)
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
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(stored)/(1<<20), "file-MiB")
}
