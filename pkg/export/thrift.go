package export

import "encoding/binary"

// thriftWriter writes Thrift's compact protocol, the encoding of
// Parquet's page headers and footer: only the types those use (i32, i64,
// binary, struct, list). It is a writer for our own structs, not a
// general Thrift library: field ids must increase within a struct, as
// Parquet's structs declare them.
type thriftWriter struct {
	b    []byte
	last []int16 // the last field id of each open struct, innermost last
}

// Compact protocol type ids.
const (
	thriftI16    = 4
	thriftI32    = 5
	thriftI64    = 6
	thriftBinary = 8
	thriftList   = 9
	thriftStruct = 12
)

func (t *thriftWriter) field(id int16, typ byte) {
	last := &t.last[len(t.last)-1]
	if d := id - *last; d > 0 && d <= 15 {
		t.b = append(t.b, byte(d)<<4|typ)
	} else {
		t.b = append(t.b, typ)
		t.b = binary.AppendVarint(t.b, int64(id)) // zigzag, as an i16
	}
	*last = id
}

func (t *thriftWriter) i16(id int16, v int16) {
	t.field(id, thriftI16)
	t.b = binary.AppendVarint(t.b, int64(v))
}

func (t *thriftWriter) i32(id int16, v int32) {
	t.field(id, thriftI32)
	t.b = binary.AppendVarint(t.b, int64(v))
}

func (t *thriftWriter) i64(id int16, v int64) {
	t.field(id, thriftI64)
	t.b = binary.AppendVarint(t.b, v)
}

func (t *thriftWriter) binary(id int16, s string) {
	t.field(id, thriftBinary)
	t.b = binary.AppendUvarint(t.b, uint64(len(s)))
	t.b = append(t.b, s...)
}

// begin opens a struct: the top-level one or a list element (id 0), or
// the field id of the enclosing struct.
func (t *thriftWriter) begin(id int16) {
	if id != 0 {
		t.field(id, thriftStruct)
	}
	t.last = append(t.last, 0)
}

// end closes the innermost struct with its stop byte.
func (t *thriftWriter) end() {
	t.b = append(t.b, 0)
	t.last = t.last[:len(t.last)-1]
}

// list starts field id as a list of n elements of type typ; the caller
// writes the elements (with begin(0)/end for structs).
func (t *thriftWriter) list(id int16, typ byte, n int) {
	t.field(id, thriftList)
	if n < 15 {
		t.b = append(t.b, byte(n)<<4|typ)
		return
	}
	t.b = append(t.b, 0xf0|typ)
	t.b = binary.AppendUvarint(t.b, uint64(n))
}

func (t *thriftWriter) i32s(id int16, vs ...int32) {
	t.list(id, thriftI32, len(vs))
	for _, v := range vs {
		t.b = binary.AppendVarint(t.b, int64(v))
	}
}

func (t *thriftWriter) strings(id int16, vs ...string) {
	t.list(id, thriftBinary, len(vs))
	for _, v := range vs {
		t.b = binary.AppendUvarint(t.b, uint64(len(v)))
		t.b = append(t.b, v...)
	}
}
