package export

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/snappy"
)

// snappyEncode's output is read back by an independent Snappy decoder,
// over the element forms it emits: short and long literals (the 1- to
// 3-byte length tags), copies with one- and two-byte offsets, matches
// longer than one element and inputs over a 64 KiB block.
func TestSnappyRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	cases := map[string][]byte{
		"empty":              {},
		"short":              []byte("abc"),
		"literal 60":         random(61),
		"literal 256":        random(300),
		"literal 64Ki":       random(70_000),
		"repeat near":        bytes.Repeat([]byte("abcd"), 1000),
		"long match":         bytes.Repeat([]byte{'x'}, 1000),
		"match remainder 65": append(random(20), bytes.Repeat([]byte("0123456789abcdef"), 9)...),
		"text":               []byte(strings.Repeat("user42@example.invalid,DE,true,2026-12-02T09:30:00Z\n", 5000)),
		"blocks":             bytes.Repeat(random(40_000), 5),
	}
	far := random(3000)
	cases["repeat far"] = append(append(bytes.Clone(far), random(100)...), far...)
	cases["offset over 2Ki"] = append(append(bytes.Clone(far[:16]), random(3000)...), far[:16]...)
	for n := 0; n < 200; n++ { // mixed runs, random lengths
		var b []byte
		for len(b) < 5000 {
			if rnd.IntN(2) == 0 || len(b) < 10 {
				b = append(b, random(rnd.IntN(100))...)
			} else {
				from := rnd.IntN(len(b) - 4)
				b = append(b, b[from:from+min(rnd.IntN(200)+4, len(b)-from)]...)
			}
		}
		cases["mixed "+string(rune('a'+n%26))+string(rune('a'+n/26))] = b
	}
	for name, src := range cases {
		enc := snappyEncode(nil, src)
		got, err := snappy.Decode(nil, enc)
		if err != nil {
			t.Errorf("%s: decode: %v", name, err)
			continue
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s: round trip differs (%d bytes in, %d out)", name, len(src), len(got))
		}
	}
	text := cases["text"]
	if enc := snappyEncode(nil, text); len(enc) > len(text)/5 {
		t.Errorf("repetitive text compressed to %d of %d bytes; the matcher finds little", len(enc), len(text))
	}
}
