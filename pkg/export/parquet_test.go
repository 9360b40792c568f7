package export_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/profilesync/profilesync/pkg/export"
)

// readParquet opens b with parquet-go's reader and returns its column
// names and every row as strings ("<nil>" for null).
func readParquet(t *testing.T, b []byte) (*parquet.File, []string, [][]string) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, field := range f.Schema().Fields() {
		cols = append(cols, field.Name())
		if !field.Optional() || field.Type().LogicalType() == nil || field.Type().LogicalType().String() != "STRING" {
			t.Errorf("column %s is %v, want optional UTF8 strings", field.Name(), field.Type())
		}
	}
	r := parquet.NewReader(f)
	defer r.Close()
	var out [][]string
	buf := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			vals := make([]string, len(row))
			for i, v := range row {
				if v.IsNull() {
					vals[i] = "<nil>"
				} else {
					vals[i] = string(v.ByteArray())
				}
			}
			out = append(out, vals)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return f, cols, out
}

func TestParquetReadBack(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			b, info := encode(t, export.Format{Type: export.Parquet, Gzip: gz}, sampleColumns, sampleRows())
			if info.Rows != 4 {
				t.Errorf("info rows %d", info.Rows)
			}
			f, cols, rows := readParquet(t, b)
			if fmt.Sprint(cols) != fmt.Sprint(sampleColumns) {
				t.Errorf("columns %v, want the export's order %v", cols, sampleColumns)
			}
			want := [][]string{
				{"u-1", "Ann", "true", "1.5", "3", "2026-12-02T09:30:00.123Z", `["a","b"]`, "plain"},
				{"u-2", `O'Brien, "Bo"`, "false", "1e+21", "3000000", "2026-12-02T15:00:00.123+05:30", `{"k":"v<w>"}`, "two\r\nlines"},
				{"u-3", " leading", "<nil>", "3000000", "7", "<nil>", "[]", "tab\there"},
				{"u-4", "Zoë 名前 🙂", "true", "-0.000001", "-42", "<nil>", "<nil>", "semi;colon"},
			}
			if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", want) {
				t.Errorf("rows\n%q\nwant\n%q", rows, want)
			}
			for _, col := range f.Metadata().RowGroups[0].Columns {
				var h format.PageHeader
				r := (&thrift.CompactProtocol{}).NewReaderFromBytes(b[col.MetaData.DataPageOffset:])
				if err := thrift.NewDecoder(r).Decode(&h); err != nil {
					t.Fatal(err)
				}
				if h.Type != format.DataPage {
					t.Errorf("page type %v, want version 1 data pages", h.Type)
				}
			}
			codec := f.Metadata().RowGroups[0].Columns[0].MetaData.Codec.String()
			if wantCodec := map[bool]string{false: "SNAPPY", true: "GZIP"}[gz]; codec != wantCodec {
				t.Errorf("codec %s, want %s", codec, wantCodec)
			}
		})
	}
}

// A large segment is written in several row groups, each flushed when
// full, so the encoder's memory does not grow with the row count.
func TestParquetRowGroupsBounded(t *testing.T) {
	rows := make([][]any, 300_000)
	for i := range rows {
		rows[i] = []any{i, "x"}
	}
	b, _ := encode(t, export.Format{Type: export.Parquet}, []string{"n", "s"}, rows)
	f, _, got := readParquet(t, b)
	if len(got) != len(rows) || got[299_999][0] != "299999" {
		t.Fatalf("read back %d rows", len(got))
	}
	if n := len(f.RowGroups()); n < 3 {
		t.Errorf("%d row groups for 300,000 rows, want the writer to flush at least every 128Ki rows", n)
	}
}

// The shapes the sample does not reach: no rows at all, a column that is
// null throughout, more columns than the footer's short list form holds
// (15), and a column chunk of several pages (values over a page's 1 MiB
// in one row group).
func TestParquetShapes(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		b, info := encode(t, export.Format{Type: export.Parquet}, []string{"id"}, nil)
		f, cols, rows := readParquet(t, b)
		if info.Rows != 0 || len(rows) != 0 || f.NumRows() != 0 || fmt.Sprint(cols) != "[id]" {
			t.Errorf("empty export: %d rows, columns %v", len(rows), cols)
		}
	})
	t.Run("null column", func(t *testing.T) {
		b, _ := encode(t, export.Format{Type: export.Parquet}, []string{"id", "gone"}, [][]any{{"a", nil}, {"b", nil}})
		_, _, rows := readParquet(t, b)
		if fmt.Sprint(rows) != "[[a <nil>] [b <nil>]]" {
			t.Errorf("rows %v", rows)
		}
	})
	t.Run("wide", func(t *testing.T) {
		var cols []string
		row := []any{}
		for i := range 40 {
			cols = append(cols, fmt.Sprintf("c%02d", i))
			row = append(row, i)
		}
		b, _ := encode(t, export.Format{Type: export.Parquet, Gzip: true}, cols, [][]any{row, row})
		_, got, rows := readParquet(t, b)
		if fmt.Sprint(got) != fmt.Sprint(cols) || len(rows) != 2 || rows[1][39] != "39" {
			t.Errorf("columns %v, rows %v", got, rows)
		}
	})
	t.Run("pages", func(t *testing.T) {
		long := strings.Repeat("0123456789", 30)
		rows := make([][]any, 10_000) // 3 MB in one column, one row group
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("%s-%05d", long, i), nil}
			if i%3 == 0 {
				rows[i][1] = i
			}
		}
		b, _ := encode(t, export.Format{Type: export.Parquet}, []string{"s", "n"}, rows)
		f, _, got := readParquet(t, b)
		if len(f.RowGroups()) != 1 {
			t.Fatalf("%d row groups", len(f.RowGroups()))
		}
		for i, r := range got {
			want := fmt.Sprintf("[%s-%05d <nil>]", long, i)
			if i%3 == 0 {
				want = fmt.Sprintf("[%s-%05d %d]", long, i, i)
			}
			if fmt.Sprint(r) != want {
				t.Fatalf("row %d: %v", i, r)
			}
		}
		col := f.Metadata().RowGroups[0].Columns[0].MetaData
		var h format.PageHeader
		r := (&thrift.CompactProtocol{}).NewReaderFromBytes(b[col.DataPageOffset:])
		if err := thrift.NewDecoder(r).Decode(&h); err != nil {
			t.Fatal(err)
		}
		dp, ok := h.DataPageHeader.Get()
		if !ok || int64(dp.NumValues) >= col.NumValues {
			t.Errorf("the first page holds %d of the chunk's %d values; want several pages", dp.NumValues, col.NumValues)
		}
	})
}
