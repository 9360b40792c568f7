package export

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

// csvEncoder writes RFC 4180 CSV. It is not encoding/csv because that
// quotes by rules we want to state ourselves and goes through strings
// where an export has typed values.
type csvEncoder struct {
	w        *bufio.Writer
	delim    rune
	eol      string
	specials string // bytes that force quoting: the delimiter, '"', CR, LF
	scratch  []byte
	columns  []string
	// guard escapes text cells a spreadsheet would run as a formula.
	guard bool
}

func newCSVEncoder(w io.Writer, f Format, columns []string) (*csvEncoder, error) {
	e := &csvEncoder{w: bufio.NewWriterSize(w, 64<<10), delim: f.delimiter(), eol: "\r\n", columns: columns, guard: !f.KeepFormulas}
	if f.LF {
		e.eol = "\n"
	}
	e.specials = string(e.delim) + "\"\r\n"
	if f.header() {
		row := make([]any, len(columns))
		for i, c := range columns {
			row[i] = c
		}
		if err := e.WriteRow(row); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *csvEncoder) WriteRow(row []any) error {
	for i, v := range row {
		if i > 0 {
			e.w.WriteRune(e.delim)
		}
		var err error
		e.scratch = e.scratch[:0]
		if e.guard && startsFormula(v) {
			e.scratch = append(e.scratch, '\'')
		}
		e.scratch, _, err = appendText(e.scratch, v)
		if err != nil {
			return columnError(e.columns, i, err)
		}
		e.writeField(e.scratch)
	}
	_, err := e.w.WriteString(e.eol)
	return err
}

// writeField quotes a field that holds the delimiter, a quote, CR or LF,
// or starts with a space or tab (which some readers would trim), and
// doubles its quotes.
func (e *csvEncoder) writeField(field []byte) {
	if !e.needsQuotes(field) {
		e.w.Write(field)
		return
	}
	e.w.WriteByte('"')
	for {
		i := indexByte(field, '"')
		if i < 0 {
			break
		}
		e.w.Write(field[:i+1])
		e.w.WriteByte('"')
		field = field[i+1:]
	}
	e.w.Write(field)
	e.w.WriteByte('"')
}

func (e *csvEncoder) needsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	if field[0] == ' ' || field[0] == '\t' {
		return true
	}
	if e.delim < utf8.RuneSelf {
		for _, c := range field {
			if c == byte(e.delim) || c == '"' || c == '\r' || c == '\n' {
				return true
			}
		}
		return false
	}
	return strings.ContainsAny(string(field), e.specials)
}

// startsFormula says whether v is text a spreadsheet would read as a
// formula (or, for a tab or CR, could be made to): OWASP's CSV injection
// list. Only strings: a number like -42 is a typed value and stays one.
func startsFormula(v any) bool {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case *string:
		if x == nil {
			return false
		}
		s = *x
	default:
		return false
	}
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (e *csvEncoder) Close() error { return e.w.Flush() }
