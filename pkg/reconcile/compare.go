package reconcile

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
)

// sum is a 16-byte hash: what the plan keeps of a record (its canonical
// values over the compared paths) and of its key. Keys are held as
// hashes, not strings, so the plan's map has no pointers for the
// garbage collector to scan; a 128-bit collision is not a concern.
type sum [16]byte

// idOf is the hash a key is held under.
func idOf(key string) sum {
	h := fnv.New128a()
	h.Write([]byte(key))
	var s sum
	h.Sum(s[:0])
	return s
}

// lookup reads a '.'-separated path of a record's nested fields.
func lookup(fields map[string]any, path string) any {
	v, _ := lookupOK(fields, path)
	return v
}

// lookupOK also says whether the path is there (a nil value is there).
func lookupOK(fields map[string]any, path string) (any, bool) {
	var cur any = fields
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// mask says which of the compared paths a mapped record writes: a path
// the mapping leaves out (a source value missing) is not sent, so the
// target keeps whatever it has there and that is no difference. Paths
// beyond the 64th are always compared.
type mask uint64

func maskOf(fields map[string]any, paths []string) mask {
	var m mask
	for i, p := range paths {
		if i >= 64 {
			break
		}
		if _, ok := lookupOK(fields, p); ok {
			m |= 1 << i
		}
	}
	return m
}

func (m mask) has(i int) bool { return i >= 64 || m&(1<<i) != 0 }

// canonical writes v the way the comparison sees it, so a value the
// target stores in its own form compares equal to the mapped one: nil,
// "" and absent are one (Salesforce keeps no empty strings); numbers
// compare by value whatever their Go type (json.Number, int, float64);
// objects and arrays as JSON with sorted keys.
func canonical(v any) string { return canon(v, false) }

// canonicalText is canonical for a target that keeps every value as text
// (connector.TextValued: HubSpot properties, LDAP attributes): a number
// or a boolean compares as the text it is written as (42 as "42", true as
// "true"), while a string stays a string, so a postal code "01067" is
// never the number 1067.
func canonicalText(v any) string { return canon(v, true) }

func canon(v any, text bool) string {
	quote := func(s string) string {
		if !text {
			return s
		}
		b, _ := json.Marshal(s)
		return string(b)
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if x == "" {
			return "null"
		}
		b, _ := json.Marshal(x)
		return string(b)
	case bool:
		return quote(strconv.FormatBool(x))
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return quote(number(f))
		}
		return quote(x.String())
	case float64:
		return quote(number(x))
	case float32:
		return quote(number(float64(x)))
	case int:
		return quote(number(float64(x)))
	case int64:
		return quote(number(float64(x)))
	case map[string]any:
		if len(x) == 0 {
			return "null"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.WriteString(canon(x[k], text))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		if len(x) == 0 {
			return "null"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canon(e, text)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	var back any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if dec.Decode(&back) != nil {
		return string(b)
	}
	return canon(back, text)
}

func number(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// hashOf hashes the canonical values of fields at the paths of m (in
// order).
func hashOf(fields map[string]any, paths []string, m mask, text bool) sum {
	h := fnv.New128a()
	for i, p := range paths {
		if !m.has(i) {
			continue
		}
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write([]byte(canon(lookup(fields, p), text)))
		h.Write([]byte{0})
	}
	var s sum
	h.Sum(s[:0])
	return s
}

// FieldDiff is one field that differs: the target's value (Old) and
// the CIAM's as mapped (New).
type FieldDiff struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// diff lists the paths whose canonical values differ.
func diff(target, want map[string]any, paths []string, text bool) []FieldDiff {
	var out []FieldDiff
	for _, p := range paths {
		n, ok := lookupOK(want, p)
		if !ok {
			continue
		}
		o := lookup(target, p)
		if canon(o, text) != canon(n, text) {
			out = append(out, FieldDiff{Field: p, Old: o, New: n})
		}
	}
	return out
}

// Diff lists the paths (those the reader returned) at which want, a
// mapped record, differs from target, a record the target holds, compared
// as a reconciliation compares them (text says the target keeps every
// value as text: connector.TextValued). Provision on demand shows it.
func Diff(target, want map[string]any, paths []string, text bool) []FieldDiff {
	return diff(target, want, paths, text)
}

// Lookup reads a '.'-separated path of a mapped record's nested fields
// (nil when it is not there), as the comparison reads them.
func Lookup(fields map[string]any, path string) any { return lookup(fields, path) }
