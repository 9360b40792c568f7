package export

import (
	"bufio"
	"io"
)

// ndjsonEncoder writes one JSON object per line, its keys the columns in
// column order (encoding/json would sort a map's keys).
type ndjsonEncoder struct {
	w       *bufio.Writer
	keys    [][]byte // each column's `"name":`, with the separator before all but the first
	line    []byte
	columns []string
}

func newNDJSONEncoder(w io.Writer, columns []string) *ndjsonEncoder {
	e := &ndjsonEncoder{w: bufio.NewWriterSize(w, 64<<10), keys: make([][]byte, len(columns)), columns: columns}
	for i, c := range columns {
		var k []byte
		if i > 0 {
			k = append(k, ',')
		}
		k = appendJSONString(k, c)
		e.keys[i] = append(k, ':')
	}
	return e
}

func (e *ndjsonEncoder) WriteRow(row []any) error {
	b := append(e.line[:0], '{')
	for i, v := range row {
		b = append(b, e.keys[i]...)
		var err error
		if b, err = appendJSON(b, v); err != nil {
			return columnError(e.columns, i, err)
		}
	}
	b = append(b, '}', '\n')
	e.line = b
	_, err := e.w.Write(b)
	return err
}

func (e *ndjsonEncoder) Close() error { return e.w.Flush() }
