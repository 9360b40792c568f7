package export

import (
	"encoding/binary"
	"math/bits"
)

// snappyEncode appends src in Snappy's block format (the "raw" format
// Parquet's SNAPPY codec means, not the framed stream format) to dst.
//
// It is the reference compressor's scheme, simplified: src is cut into
// 64 KiB blocks, so every copy's offset fits the two-byte form; within a
// block a table of 4-byte sequences finds earlier occurrences, a match
// is extended as far as it goes, and the search skips ahead faster the
// longer it finds nothing (incompressible input costs little time).
// Compression is a little below the reference's; the format is the
// same, so any Snappy decoder reads it.
func snappyEncode(dst, src []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	var table [1 << snappyTableBits]int32
	for len(src) > 0 {
		block := src[:min(len(src), snappyBlock)]
		src = src[len(block):]
		dst = snappyBlockEncode(dst, block, &table)
	}
	return dst
}

const (
	snappyBlock     = 1 << 16
	snappyTableBits = 14
)

func snappyHash(u uint32) uint32 { return (u * 0x1e35a7bd) >> (32 - snappyTableBits) }

func snappyBlockEncode(dst, b []byte, table *[1 << snappyTableBits]int32) []byte {
	if len(b) < 8 {
		return snappyLiteral(dst, b)
	}
	for i := range table {
		table[i] = -1
	}
	lit, s, skip := 0, 0, 32
	for s+4 <= len(b) {
		cur := binary.LittleEndian.Uint32(b[s:])
		h := snappyHash(cur)
		cand := int(table[h])
		table[h] = int32(s)
		if cand < 0 || binary.LittleEndian.Uint32(b[cand:]) != cur {
			s += skip >> 5
			skip++
			continue
		}
		skip = 32
		n := 4
		for s+n < len(b) && b[cand+n] == b[s+n] {
			n++
		}
		dst = snappyLiteral(dst, b[lit:s])
		dst = snappyCopy(dst, s-cand, n)
		s += n
		lit = s
	}
	return snappyLiteral(dst, b[lit:])
}

// snappyLiteral emits lit as literal elements (none when it is empty).
func snappyLiteral(dst, lit []byte) []byte {
	if len(lit) == 0 {
		return dst
	}
	n := uint32(len(lit) - 1)
	switch {
	case n < 60:
		dst = append(dst, byte(n)<<2)
	default:
		// Tags 60..63: the length minus one follows in 1..4 bytes.
		size := (bits.Len32(n) + 7) / 8
		dst = append(dst, byte(59+size)<<2)
		dst = binary.LittleEndian.AppendUint32(dst, n)[:len(dst)+size]
	}
	return append(dst, lit...)
}

// snappyCopy emits a copy of n bytes from offset back (1 ≤ offset < 64 KiB,
// n ≥ 4) as copy elements of at most 64 bytes.
func snappyCopy(dst []byte, offset, n int) []byte {
	for n >= 68 {
		dst = snappyCopy2(dst, offset, 64)
		n -= 64
	}
	if n > 64 { // leave at least 4 for the last element
		dst = snappyCopy2(dst, offset, 60)
		n -= 60
	}
	if n <= 11 && offset < 2048 {
		return append(dst, byte(offset>>8)<<5|byte(n-4)<<2|1, byte(offset))
	}
	return snappyCopy2(dst, offset, n)
}

func snappyCopy2(dst []byte, offset, n int) []byte {
	return append(dst, byte(n-1)<<2|2, byte(offset), byte(offset>>8))
}
