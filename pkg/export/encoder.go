package export

import (
	"fmt"
	"io"
)

// encoder turns rows of a fixed column list into a file's bytes.
type encoder interface {
	// WriteRow encodes one row; len(row) is the number of columns.
	WriteRow(row []any) error
	// Close writes what is buffered and any trailer (Parquet's footer);
	// it does not close the writer underneath.
	Close() error
}

// newEncoder returns f's encoder writing to w.
func newEncoder(w io.Writer, f Format, columns []string) (encoder, error) {
	switch f.Type {
	case CSV:
		return newCSVEncoder(w, f, columns)
	case NDJSON:
		return newNDJSONEncoder(w, columns), nil
	case Parquet:
		return newParquetEncoder(w, f, columns)
	}
	return nil, fmt.Errorf("format type %q: want csv, ndjson or parquet", f.Type)
}

// columnError names the column a value could not be encoded for; the
// value itself stays out of the message.
func columnError(columns []string, i int, err error) error {
	return fmt.Errorf("column %s: %w", columns[i], err)
}
