package export_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/profilesync/profilesync/pkg/export"
)

// Keys come in column order, not sorted, and every line is one JSON object.
func TestNDJSONKeyOrder(t *testing.T) {
	columns := []string{"zeta", "alpha", "Mid", "ünï", `q"uote`}
	b, _ := encode(t, export.Format{Type: export.NDJSON}, columns, [][]any{{1, 2, 3, 4, 5}, {nil, "x", true, 0.5, []int{1}}})
	sc := bufio.NewScanner(bytes.NewReader(b))
	lines := 0
	for sc.Scan() {
		lines++
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("line %d does not open an object: %v", lines, err)
		}
		for i := 0; dec.More(); i++ {
			key, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			if key != columns[i] {
				t.Errorf("line %d key %d is %v, want %s", lines, i, key, columns[i])
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if lines != 2 {
		t.Errorf("%d lines, want 2", lines)
	}
}

func TestNDJSONValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, `null`},
		{"string escapes", "a\"b\\c\n\t\x01", `"a\"b\\c\n\t\u0001"`},
		{"html kept", "<a&b>", `"<a&b>"`},
		{"invalid utf-8", "a\xffb", `"a\ufffdb"`},
		{"line separator", "a\u2028b", `"a\u2028b"`},
		{"unicode", "Zoë 🙂", `"Zoë 🙂"`},
		{"integral float", float64(3000000), `3000000`},
		{"NaN", math.NaN(), `null`},
		{"bool", false, `false`},
		{"map", map[string]any{"b": 1, "a": []any{"x", nil}}, `{"a":["x",null],"b":1}`},
		{"raw", json.RawMessage(` { "a" : 1 } `), `{"a":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := encode(t, export.Format{Type: export.NDJSON}, []string{"v"}, [][]any{{tc.v}})
			if got, want := string(b), `{"v":`+tc.want+"}\n"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if !json.Valid(bytes.TrimSpace(b)) {
				t.Errorf("invalid JSON %q", b)
			}
		})
	}
}
