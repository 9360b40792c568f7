package export

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Parquet row groups are buffered whole in memory until flushed (a column
// chunk must be contiguous in the file), so the encoder bounds them by
// the bytes of their values as well as by rows. Within a chunk a page is
// cut at about parquetPageBytes of values, so a reader need not hold a
// whole chunk to decode it.
const (
	parquetRowGroupBytes = 8 << 20
	parquetRowGroupRows  = 128 << 10
	parquetPageBytes     = 1 << 20
)

// parquetEncoder writes every column as an optional BYTE_ARRAY with the
// STRING (UTF8) logical type, values as appendText shows them in CSV. An
// export's columns come from a mapping whose value types are known only
// row by row, and a column whose type changed mid-file would be an
// error; typed columns would need the job to declare them.
//
// It is our own writer of that one shape, not a Parquet library
// (parquet-go added 6 MB to the jobs function; see
// internal/lambdatest's maxBytes): version 1 data pages, PLAIN values,
// definition levels in the RLE/bit-packed hybrid, pages compressed with
// Snappy or gzip, and the footer in Thrift's compact protocol. Version 1
// pages because some warehouse loaders still read version 2 badly, and
// the consumers of an export are unknown tools.
type parquetEncoder struct {
	out     *countingWriter // its count is each column chunk's offset in the footer
	gzip    bool
	columns []string
	chunks  []parquetChunk
	groups  []parquetGroup
	rows    int // in the open row group
	bytes   int
	total   int64 // rows in the flushed row groups
	arena   []byte
	ends    []int // end of each column's value in arena; -1 for null
	body    []byte
	zbuf    bytes.Buffer
	zw      *gzip.Writer
}

// parquetChunk is one column's data in the open row group: its finished
// pages and the page being filled.
type parquetChunk struct {
	pages        []byte // page headers and compressed bodies
	values       int64
	uncompressed int64  // headers and bodies before compression
	defs         []byte // the open page's definition levels, 0 (null) or 1
	data         []byte // its non-null values, PLAIN: length and bytes
}

// parquetGroup is a flushed row group as the footer describes it.
type parquetGroup struct {
	rows, offset, uncompressed, compressed int64
	columns                                []parquetColumnMeta
}

type parquetColumnMeta struct {
	offset, values, uncompressed, compressed int64
}

var parquetMagic = []byte("PAR1")

// Parquet's enum values (parquet.thrift).
const (
	parquetByteArray = 6 // Type
	parquetOptional  = 1 // FieldRepetitionType
	parquetUTF8      = 0 // ConvertedType
	parquetPlain     = 0 // Encoding
	parquetRLE       = 3
	parquetSnappy    = 1 // CompressionCodec
	parquetGzip      = 2
	parquetDataPage  = 0 // PageType
)

func newParquetEncoder(w io.Writer, f Format, columns []string) (*parquetEncoder, error) {
	e := &parquetEncoder{out: &countingWriter{w: w}, gzip: f.Gzip, columns: columns,
		chunks: make([]parquetChunk, len(columns)), ends: make([]int, len(columns))}
	if _, err := e.out.Write(parquetMagic); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return e, nil
}

func (e *parquetEncoder) WriteRow(row []any) error {
	// Encode the whole row first: a value that fails leaves the columns
	// as they were.
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
	start := 0
	for i, end := range e.ends {
		c := &e.chunks[i]
		if end < 0 {
			c.defs = append(c.defs, 0)
		} else {
			c.defs = append(c.defs, 1)
			c.data = binary.LittleEndian.AppendUint32(c.data, uint32(end-start))
			c.data = append(c.data, e.arena[start:end]...)
			start = end
		}
		if len(c.data)+len(c.defs) >= parquetPageBytes {
			if err := e.cutPage(c); err != nil {
				return err
			}
		}
	}
	e.rows++
	e.bytes += len(e.arena)
	if e.rows >= parquetRowGroupRows || e.bytes >= parquetRowGroupBytes {
		return e.flush()
	}
	return nil
}

// cutPage compresses c's open page and appends it with its header to
// c's pages.
func (e *parquetEncoder) cutPage(c *parquetChunk) error {
	n := len(c.defs)
	if n == 0 {
		return nil
	}
	// Version 1 page body: the definition levels' byte length, the
	// levels, then the values. No repetition levels: a flat schema.
	levels := appendBitPackedLevels(nil, c.defs)
	e.body = binary.LittleEndian.AppendUint32(e.body[:0], uint32(len(levels)))
	e.body = append(e.body, levels...)
	e.body = append(e.body, c.data...)
	compressed, err := e.compress(e.body)
	if err != nil {
		return err
	}
	var t thriftWriter
	t.begin(0) // PageHeader
	t.i32(1, parquetDataPage)
	t.i32(2, int32(len(e.body)))
	t.i32(3, int32(len(compressed)))
	t.begin(5) // DataPageHeader
	t.i32(1, int32(n))
	t.i32(2, parquetPlain)
	t.i32(3, parquetRLE)
	t.i32(4, parquetRLE)
	t.end()
	t.end()
	c.pages = append(c.pages, t.b...)
	c.pages = append(c.pages, compressed...)
	c.values += int64(n)
	c.uncompressed += int64(len(t.b) + len(e.body))
	c.defs, c.data = c.defs[:0], c.data[:0]
	return nil
}

func (e *parquetEncoder) compress(body []byte) ([]byte, error) {
	if !e.gzip {
		return snappyEncode(nil, body), nil
	}
	e.zbuf.Reset()
	if e.zw == nil {
		e.zw = gzip.NewWriter(&e.zbuf)
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(body); err != nil {
		return nil, fmt.Errorf("parquet: gzip: %w", err)
	}
	if err := e.zw.Close(); err != nil {
		return nil, fmt.Errorf("parquet: gzip: %w", err)
	}
	return e.zbuf.Bytes(), nil
}

// flush writes the open row group: each column's pages, contiguous, in
// the export's column order.
func (e *parquetEncoder) flush() error {
	if e.rows == 0 {
		return nil
	}
	g := parquetGroup{rows: int64(e.rows), offset: e.out.n, columns: make([]parquetColumnMeta, len(e.chunks))}
	for i := range e.chunks {
		c := &e.chunks[i]
		if err := e.cutPage(c); err != nil {
			return err
		}
		g.columns[i] = parquetColumnMeta{offset: e.out.n, values: c.values, uncompressed: c.uncompressed, compressed: int64(len(c.pages))}
		if _, err := e.out.Write(c.pages); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		g.uncompressed += c.uncompressed
		g.compressed += int64(len(c.pages))
		*c = parquetChunk{pages: c.pages[:0], defs: c.defs, data: c.data}
	}
	e.groups = append(e.groups, g)
	e.total += g.rows
	e.rows, e.bytes = 0, 0
	return nil
}

func (e *parquetEncoder) Close() error {
	if err := e.flush(); err != nil {
		return err
	}
	footer := e.footer()
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, parquetMagic...)
	if _, err := e.out.Write(footer); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// footer is the FileMetaData: the schema (a root group of the columns in
// the export's order) and where each row group's column chunks are.
func (e *parquetEncoder) footer() []byte {
	codec := int32(parquetSnappy)
	if e.gzip {
		codec = parquetGzip
	}
	var t thriftWriter
	t.begin(0) // FileMetaData
	t.i32(1, 1)
	t.list(2, thriftStruct, len(e.columns)+1)
	t.begin(0) // the root SchemaElement
	t.binary(4, "export")
	t.i32(5, int32(len(e.columns)))
	t.end()
	for _, name := range e.columns {
		t.begin(0)
		t.i32(1, parquetByteArray)
		t.i32(3, parquetOptional)
		t.binary(4, name)
		t.i32(6, parquetUTF8)
		t.begin(10) // LogicalType, the union's STRING member
		t.begin(1)
		t.end()
		t.end()
		t.end()
	}
	t.i64(3, e.total)
	t.list(4, thriftStruct, len(e.groups))
	for gi, g := range e.groups {
		t.begin(0) // RowGroup
		t.list(1, thriftStruct, len(g.columns))
		for i, c := range g.columns {
			t.begin(0) // ColumnChunk
			t.i64(2, c.offset)
			t.begin(3) // ColumnMetaData
			t.i32(1, parquetByteArray)
			t.i32s(2, parquetPlain, parquetRLE)
			t.strings(3, e.columns[i])
			t.i32(4, codec)
			t.i64(5, c.values)
			t.i64(6, c.uncompressed)
			t.i64(7, c.compressed)
			t.i64(9, c.offset)
			t.end()
			t.end()
		}
		t.i64(2, g.uncompressed)
		t.i64(3, g.rows)
		t.i64(5, g.offset)
		t.i64(6, g.compressed)
		t.i16(7, int16(gi))
		t.end()
	}
	t.binary(6, "profilesync")
	t.end()
	return t.b
}

// appendBitPackedLevels encodes definition levels (bit width 1) as one
// bit-packed run of the RLE/bit-packed hybrid: a header counting groups
// of eight, then the levels eight to a byte, least significant bit
// first. The last group is padded with zeros; the page's value count
// says where the levels end.
func appendBitPackedLevels(dst []byte, levels []byte) []byte {
	groups := (len(levels) + 7) / 8
	dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
	for g := range groups {
		var b byte
		for i, l := range levels[g*8 : min(g*8+8, len(levels))] {
			b |= l << i
		}
		dst = append(dst, b)
	}
	return dst
}
