package export

import (
	"fmt"
	"io"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding"
)

// Parquet row groups are buffered whole in memory until flushed (a column
// chunk must be contiguous in the file), so the encoder bounds them by
// the bytes of their values as well as by rows.
const (
	parquetRowGroupBytes = 8 << 20
	parquetRowGroupRows  = 128 << 10
)

// parquetEncoder writes every column as an optional BYTE_ARRAY with the
// STRING (UTF8) logical type, values as appendText shows them in CSV. An
// export's columns come from a mapping whose value types are known only
// row by row, and a column whose type changed mid-file would be an
// error; typed columns would need the job to declare them.
type parquetEncoder struct {
	w       *parquet.Writer
	columns []string
	row     parquet.Row
	arena   []byte
	ends    []int // end of each column's value in arena; -1 for null
	rows    int
	bytes   int
}

func newParquetEncoder(w io.Writer, f Format, columns []string) (*parquetEncoder, error) {
	var codec compress.Codec = &snappy.Codec{}
	if f.Gzip {
		codec = &gzip.Codec{Level: gzip.DefaultCompression}
	}
	schema := parquet.NewSchema("export", stringColumns(columns))
	// Version 1 data pages: parquet-go writes version 2 by default, which
	// some warehouse loaders still read badly; consumers of an export
	// are unknown tools.
	pw := parquet.NewWriter(w, schema, parquet.Compression(codec), parquet.DataPageVersion(1))
	return &parquetEncoder{w: pw, columns: columns, row: make(parquet.Row, len(columns)),
		ends: make([]int, len(columns))}, nil
}

func (e *parquetEncoder) WriteRow(row []any) error {
	e.arena = e.arena[:0]
	for i, v := range row {
		var ok bool
		var err error
		if e.arena, ok, err = appendText(e.arena, v); err != nil {
			return columnError(e.columns, i, err)
		}
		e.ends[i] = len(e.arena)
		if !ok {
			e.ends[i] = -1
		}
	}
	start := 0 // the arena is complete: slices of it stay valid until the next row
	for i, end := range e.ends {
		if end < 0 {
			e.row[i] = parquet.NullValue().Level(0, 0, i)
			continue
		}
		e.row[i] = parquet.ByteArrayValue(e.arena[start:end]).Level(0, 1, i)
		start = end
	}
	if _, err := e.w.WriteRows([]parquet.Row{e.row}); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	e.rows++
	e.bytes += len(e.arena)
	if e.rows >= parquetRowGroupRows || e.bytes >= parquetRowGroupBytes {
		e.rows, e.bytes = 0, 0
		if err := e.w.Flush(); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
	}
	return nil
}

func (e *parquetEncoder) Close() error {
	if err := e.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// stringColumns is a parquet group of optional strings in the export's
// column order; parquet.Group would sort the columns by name.
type stringColumns []string

var stringColumn = parquet.Optional(parquet.String())

func (g stringColumns) ID() int                     { return 0 }
func (g stringColumns) String() string              { return fmt.Sprintf("group of %d string columns", len(g)) }
func (g stringColumns) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g stringColumns) Optional() bool              { return false }
func (g stringColumns) Repeated() bool              { return false }
func (g stringColumns) Required() bool              { return true }
func (g stringColumns) Leaf() bool                  { return false }
func (g stringColumns) Encoding() encoding.Encoding { return nil }
func (g stringColumns) Compression() compress.Codec { return nil }

func (g stringColumns) Fields() []parquet.Field {
	fields := make([]parquet.Field, len(g))
	for i, name := range g {
		fields[i] = stringField{Node: stringColumn, name: name, index: i}
	}
	return fields
}

// GoType is a struct of *string fields C0, C1, … (column names need not
// be Go identifiers). The encoder writes parquet.Rows; readers may use it.
func (g stringColumns) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i := range g {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: reflect.TypeFor[*string]()}
	}
	return reflect.StructOf(fields)
}

type stringField struct {
	parquet.Node
	name  string
	index int
}

func (f stringField) Name() string { return f.name }

// Value is the field in a GoType struct, or the name's entry in a map.
func (f stringField) Value(base reflect.Value) reflect.Value {
	for base.Kind() == reflect.Pointer || base.Kind() == reflect.Interface {
		if base.IsNil() {
			return reflect.Value{}
		}
		base = base.Elem()
	}
	switch base.Kind() {
	case reflect.Struct:
		return base.Field(f.index)
	case reflect.Map:
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}
