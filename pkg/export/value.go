package export

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendText appends v as CSV and Parquet show it: strings as they are,
// integers in decimal, floats without an exponent in the range JSON
// writes them without one, times as RFC 3339, []byte as base64, maps,
// slices and structs as compact JSON. It reports false for nil (an empty
// CSV field, a Parquet null).
func appendText(b []byte, v any) ([]byte, bool, error) {
	switch x := v.(type) {
	case nil:
		return b, false, nil
	case string:
		return append(b, x...), true, nil
	case bool:
		return strconv.AppendBool(b, x), true, nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int64:
		return strconv.AppendInt(b, x, 10), true, nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint64:
		return strconv.AppendUint(b, x, 10), true, nil
	case float32:
		return appendFloat(b, float64(x), 32), true, nil
	case float64:
		return appendFloat(b, x, 64), true, nil
	case json.Number:
		return append(b, x...), true, nil
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano), true, nil
	case []byte:
		if x == nil {
			return b, false, nil
		}
		return base64.StdEncoding.AppendEncode(b, x), true, nil
	case json.RawMessage:
		return appendCompactJSON(b, x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return b, false, nil
		}
		return appendText(b, rv.Elem().Interface())
	case reflect.Map, reflect.Slice:
		if rv.IsNil() {
			return b, false, nil
		}
	}
	j, err := marshalJSON(v)
	if err != nil {
		return b, false, err
	}
	return append(b, j...), true, nil
}

// appendFloat writes f as encoding/json does (no exponent between 1e-6
// and 1e21, so 3e+06 is 3000000), and NaN and ±Inf as strconv spells them.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendFloat(b, f, 'g', -1, bits)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, bits)
}

// appendJSON appends v as one JSON value: nil is null, times are RFC 3339
// strings, NaN and ±Inf (which JSON cannot hold) are null.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
		b, _, err := appendText(b, x)
		return b, err
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return append(b, "null"...), nil
		}
		return appendFloat(b, float64(x), 32), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...), nil
		}
		return appendFloat(b, x, 64), nil
	case time.Time:
		b = append(b, '"')
		b = x.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	case json.RawMessage:
		b, _, err := appendCompactJSON(b, x)
		return b, err
	}
	j, err := marshalJSON(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// appendJSONString quotes s as encoding/json does without HTML escaping:
// invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are escaped so the
// line is also valid JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendCompactJSON(b []byte, raw json.RawMessage) ([]byte, bool, error) {
	if raw == nil {
		return b, false, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return b, false, fmt.Errorf("json value: %w", err)
	}
	return append(b, buf.Bytes()...), true, nil
}

// marshalJSON is compact JSON without encoding/json's HTML escaping (a
// consumer's CSV cell should read "a<b", not "a\u003cb").
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("value of type %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
