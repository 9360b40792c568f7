package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleColumns and sampleRows cover every kind of value the encoders
// know, and every character CSV must quote.
var sampleColumns = []string{"id", "name", "active", "score", "visits", "updated_at", "tags", "note"}

func sampleRows() [][]any {
	when := time.Date(2026, 12, 2, 9, 30, 0, 123000000, time.UTC)
	zone := time.FixedZone("", 5*3600+1800)
	return [][]any{
		{"u-1", "Ann", true, 1.5, 3, when, []string{"a", "b"}, "plain"},
		{"u-2", "O'Brien, \"Bo\"", false, 1e21, int64(3000000), when.In(zone), map[string]any{"k": "v<w>"}, "two\r\nlines"},
		{"u-3", " leading", nil, float64(3000000), uint8(7), nil, []any{}, "tab\there"},
		{"u-4", "Zoë 名前 🙂", true, -0.000001, -42, (*time.Time)(nil), nil, "semi;colon"},
	}
}

// encode writes rows in f through a Segment to a Memory and returns the
// stored file and its SegmentInfo.
func encode(t testing.TB, f export.Format, columns []string, rows [][]any) ([]byte, export.SegmentInfo) {
	t.Helper()
	ctx := context.Background()
	dest := export.NewMemory()
	name := "part-00001" + f.Extension()
	s, err := export.NewSegment(ctx, dest, name, f, columns)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := s.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := dest.File(name)
	if !ok {
		t.Fatalf("%s not committed", name)
	}
	return b, info
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		f    export.Format
	}{
		{"sample.csv", export.Format{Type: export.CSV}},
		{"sample-semicolon-lf-noheader.csv", export.Format{Type: export.CSV, Delimiter: ';', LF: true, Header: export.WithHeader(false)}},
		{"sample-tab.csv", export.Format{Type: export.CSV, Delimiter: '\t'}},
		{"sample.ndjson", export.Format{Type: export.NDJSON}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, info := encode(t, tc.f, sampleColumns, sampleRows())
			golden(t, tc.file, b)
			if info.Rows != 4 || info.Bytes != int64(len(b)) {
				t.Errorf("info %+v for %d stored bytes", info, len(b))
			}
		})
	}
}

func TestManifestGolden(t *testing.T) {
	dest := export.NewMemory()
	m := export.Manifest{
		Export: "nightly-profiles", Run: "2026-12-02T02:00:00Z",
		Started:  time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 12, 2, 2, 14, 5, 0, time.UTC),
		Format:   export.Format{Type: export.CSV, Delimiter: ';', Gzip: true},
		Columns:  []string{"id", "email"},
		Files: []export.SegmentInfo{
			{Name: "part-00001.csv.gz", Rows: 2, Bytes: 120, SHA256: "ab"},
			{Name: "part-00002.csv.gz", Rows: 1, Bytes: 80, SHA256: "cd"},
		},
		Rows: 3, Watermark: "2026-12-01T23:59:59Z", Complete: true,
	}
	if err := export.WriteManifest(t.Context(), dest, "manifest.json", m); err != nil {
		t.Fatal(err)
	}
	b, _ := dest.File("manifest.json")
	golden(t, "manifest.json", b)
	var back export.Manifest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Format.Delimiter != ';' || !back.Format.Gzip || back.Rows != 3 || len(back.Files) != 2 {
		t.Errorf("read back %+v", back)
	}

	m.Rows = 4
	if err := export.WriteManifest(t.Context(), dest, "bad.json", m); err == nil {
		t.Error("a manifest whose rows disagree with its files was written")
	}
	if _, ok := dest.File("bad.json"); ok || dest.Open() != 0 {
		t.Error("the refused manifest left a file or an open object")
	}
}
