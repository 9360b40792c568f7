package metrics_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/metrics"
)

var tNow = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func emitter(buf *bytes.Buffer) *metrics.Emitter {
	return &metrics.Emitter{W: buf, Now: func() time.Time { return tNow }}
}

// The wire format, byte for byte: encoding/json sorts the root's members.
func TestEmitGolden(t *testing.T) {
	var buf bytes.Buffer
	s := metrics.NewSet(metrics.Dimension{Name: "Target", Value: "crm"})
	s.Count("Received", 2)
	s.Count("Received", 1)
	s.Observe("EventToDeliveryLatency", metrics.Milliseconds, 120)
	s.Observe("EventToDeliveryLatency", metrics.Milliseconds, 80)
	if err := emitter(&buf).Emit(s); err != nil {
		t.Fatal(err)
	}
	want := `{"EventToDeliveryLatency":[120,80],"Received":3,"Target":"crm","_aws":{"Timestamp":1735732800000,` +
		`"CloudWatchMetrics":[{"Namespace":"ProfileSync","Dimensions":[["Target"]],"Metrics":[` +
		`{"Name":"EventToDeliveryLatency","Unit":"Milliseconds"},{"Name":"Received","Unit":"Count"}]}]}}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	d := parseEMF(t, buf.Bytes())
	if len(d) != 1 || d[0].Timestamp != tNow.UnixMilli() {
		t.Errorf("parsed %+v", d)
	}
}

// Past the specification's limits a set goes on further lines: every
// line within them, and nothing lost.
func TestEmitSplitsAtTheLimits(t *testing.T) {
	var buf bytes.Buffer
	s := metrics.NewSet(metrics.Dimension{Name: "Target", Value: "crm"}, metrics.Dimension{Name: "Reason", Value: "x"})
	for i := range 150 {
		s.Count(fmt.Sprintf("M%03d", i), i)
	}
	for i := range 250 {
		s.Observe("Latency", metrics.Milliseconds, float64(i))
	}
	if err := emitter(&buf).Emit(s); err != nil {
		t.Fatal(err)
	}
	docs := parseEMF(t, buf.Bytes())
	if len(docs) != 3 {
		t.Fatalf("%d lines, want 3 (151 metrics, 250 latency values)", len(docs))
	}
	counts := map[string]float64{}
	var lat []float64
	for _, d := range docs {
		if d.dim("Target") != "crm" || d.dim("Reason") != "x" || len(d.Dims) != 1 || len(d.Dims[0]) != 2 {
			t.Errorf("line lost its dimensions: %v", d.Root)
		}
		for n, vs := range d.Metrics {
			if n == "Latency" {
				lat = append(lat, vs...)
				continue
			}
			if _, dup := counts[n]; dup {
				t.Errorf("count %s on two lines", n)
			}
			counts[n] = vs[0]
		}
	}
	if len(counts) != 150 || counts["M149"] != 149 || counts["M000"] != 0 {
		t.Errorf("counts %v", counts)
	}
	if len(lat) != 250 {
		t.Fatalf("%d latency values, want 250", len(lat))
	}
	for i, v := range lat {
		if v != float64(i) {
			t.Fatalf("latency value %d is %v: values reordered or lost", i, v)
		}
	}
}

func TestEmitRefusesWhatTheSpecificationForbids(t *testing.T) {
	many := make([]metrics.Dimension, 31)
	for i := range many {
		many[i] = metrics.Dimension{Name: fmt.Sprint("D", i), Value: "v"}
	}
	cases := map[string]*metrics.Set{
		"31 dimensions":         metrics.NewSet(many...),
		"empty dimension value": metrics.NewSet(metrics.Dimension{Name: "Target"}),
		"dimension as metric":   metrics.NewSet(metrics.Dimension{Name: "Received", Value: "x"}),
	}
	for name, s := range cases {
		s.Count("Received", 1)
		var buf bytes.Buffer
		if err := emitter(&buf).Emit(s); err == nil || buf.Len() != 0 {
			t.Errorf("%s: err %v, wrote %q", name, err, buf.String())
		}
	}
}

func TestEmitWritesNothingWithoutAWriterOrMetrics(t *testing.T) {
	var nilEmitter *metrics.Emitter
	s := metrics.NewSet(metrics.Dimension{Name: "Target", Value: "crm"})
	s.Count("Received", 1)
	if err := nilEmitter.Emit(s); err != nil {
		t.Error(err)
	}
	var buf bytes.Buffer
	if err := emitter(&buf).Emit(metrics.NewSet(metrics.Dimension{Name: "Target", Value: "crm"}), nil); err != nil || buf.Len() != 0 {
		t.Errorf("empty set: err %v, wrote %q", err, buf.String())
	}
}

// Lines from concurrent batches never interleave (run with -race).
func TestEmitConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	e := emitter(&buf)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 50 {
				s := metrics.NewSet(metrics.Dimension{Name: "Target", Value: fmt.Sprint("t", g)})
				s.Count("Received", 1)
				for v := range 40 {
					s.Observe("Latency", metrics.Milliseconds, float64(v))
				}
				if err := e.Emit(s); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	docs := parseEMF(t, buf.Bytes())
	if len(docs) != 400 {
		t.Errorf("%d whole lines, want 400", len(docs))
	}
}

func BenchmarkEmitBatch(b *testing.B) {
	var buf bytes.Buffer
	e := emitter(&buf)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		s := metrics.NewSet(metrics.Dimension{Name: "Target", Value: "crm"})
		for _, n := range []string{"Received", "Delivered", "Deleted", "Skipped", "Retried", "DeadLettered"} {
			s.Count(n, 10)
		}
		for v := range 10 {
			s.Observe("EventToDeliveryLatency", metrics.Milliseconds, float64(v*100))
		}
		if err := e.Emit(s); err != nil {
			b.Fatal(err)
		}
	}
}
