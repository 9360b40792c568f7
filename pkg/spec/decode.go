package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
)

// Decode checks m against fields and, when it passes, decodes it into v (a
// pointer to the plug-in's struct, whose json tags are the field names),
// with defaults applied. Unknown keys, missing required keys, values of
// the wrong type and values outside Enum are all reported, joined, each an
// *Error; none quotes a value.
func Decode(fields []Field, m map[string]any, v any) error {
	out, errs := check(fields, m, nil)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("re-encode: %w", err) // check admits only JSON values
	}
	return json.Unmarshal(b, v)
}

// DecodeJSON is Decode for a JSON object (a secret). Syntax errors give the
// byte offset, never the text around it.
func DecodeJSON(fields []Field, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return errors.New("want a JSON object")
		}
		return errors.New("not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return Decode(fields, m, v)
}

// check returns m with defaults applied and every value in the shape its
// field's Type gives it, or the problems found.
func check(fields []Field, m map[string]any, at Path) (map[string]any, []error) {
	var errs []error
	var unknown []string
	for k := range m {
		if _, ok := field(fields, k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, &Error{Path: below(at, k), Msg: "unknown (want one of " + strings.Join(names(fields), ", ") + ")"})
	}
	out := map[string]any{}
	for _, f := range fields {
		p := below(at, f.Name)
		raw, ok := m[f.Name]
		if !ok || raw == nil || (f.Type == String && raw == "") {
			switch {
			case f.Required:
				errs = append(errs, &Error{Path: p, Msg: "required"})
			case f.Default != nil:
				out[f.Name] = f.Default
			}
			continue
		}
		val, ferrs := value(f, raw, p)
		errs = append(errs, ferrs...)
		if len(ferrs) > 0 {
			continue
		}
		if f.Required && empty(val) {
			errs = append(errs, &Error{Path: p, Msg: "required"})
		}
		if s, ok := val.(string); ok && f.Enum != nil && !slices.Contains(f.Enum, s) {
			errs = append(errs, &Error{Path: p, Msg: "not one of " + strings.Join(f.Enum, ", "), Value: true})
		}
		out[f.Name] = val
	}
	return out, errs
}

func below(at Path, elem string) Path {
	return append(append(Path{}, at...), elem)
}

func empty(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// value converts raw to f's type; errors are at p or below it.
func value(f Field, raw any, p Path) (any, []error) {
	wrong := func(want string) []error { return []error{&Error{Path: p, Msg: "want " + want, Value: true}} }
	switch f.Type {
	case String:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		return nil, wrong("a string")
	case Int:
		if n, ok := whole(raw); ok {
			return n, nil
		}
		return nil, wrong("a whole number")
	case Bool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		return nil, wrong("true or false")
	case StringList, IntList:
		return list(f.Type, raw, p)
	case StringMap:
		return stringMap(raw, p)
	case Object:
		m, ok := asMap(raw)
		if !ok {
			return nil, wrong("an object with " + strings.Join(names(f.Fields), ", "))
		}
		out, errs := check(f.Fields, m, p)
		return out, errs
	case ObjectMap:
		return objectMap(f, raw, p)
	}
	return nil, wrong("a value of type " + string(f.Type)) // a spec bug: an unknown Type
}

// whole reads an integer from what JSON (json.Number, float64), YAML (int)
// or Go code gives.
func whole(raw any) (int64, bool) {
	switch n := raw.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case uint64:
		return int64(n), n <= math.MaxInt64
	case float64:
		return int64(n), n == math.Trunc(n) && math.Abs(n) < 1<<53
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func list(t Type, raw any, p Path) (any, []error) {
	items, ok := raw.([]any)
	if s, isStrings := raw.([]string); isStrings {
		items, ok = make([]any, len(s)), true
		for i, e := range s {
			items[i] = e
		}
	}
	if !ok {
		return nil, []error{&Error{Path: p, Msg: "want a " + string(t), Value: true}}
	}
	var errs []error
	out := make([]any, len(items))
	for i, e := range items {
		if t == IntList {
			n, ok := whole(e)
			if !ok {
				errs = append(errs, &Error{Path: below(p, Index(i)), Msg: "want a whole number", Value: true})
			}
			out[i] = n
			continue
		}
		s, ok := e.(string)
		if !ok {
			errs = append(errs, &Error{Path: below(p, Index(i)), Msg: "want a string", Value: true})
		}
		out[i] = s
	}
	return out, errs
}

func stringMap(raw any, p Path) (any, []error) {
	if sm, ok := raw.(map[string]string); ok {
		return sm, nil
	}
	m, ok := asMap(raw)
	if !ok {
		return nil, []error{&Error{Path: p, Msg: "want a map of names to strings", Value: true}}
	}
	var errs []error
	for _, k := range sortedKeys(m) {
		if _, ok := m[k].(string); !ok {
			errs = append(errs, &Error{Path: below(p, k), Msg: "want a string", Value: true})
		}
	}
	return m, errs
}

func objectMap(f Field, raw any, p Path) (any, []error) {
	m, ok := asMap(raw)
	if !ok {
		return nil, []error{&Error{Path: p, Msg: "want a map of names to objects", Value: true}}
	}
	var errs []error
	out := map[string]any{}
	for _, k := range sortedKeys(m) {
		if f.Keys != nil && !slices.Contains(f.Keys, k) {
			errs = append(errs, &Error{Path: below(p, k), Msg: "unknown (want one of " + strings.Join(f.Keys, ", ") + ")"})
			continue
		}
		e, ok := asMap(m[k])
		if !ok {
			errs = append(errs, &Error{Path: below(p, k), Msg: "want an object with " + strings.Join(names(f.Fields), ", "), Value: true})
			continue
		}
		v, eerrs := check(f.Fields, e, below(p, k))
		errs = append(errs, eerrs...)
		out[k] = v
	}
	return out, errs
}

// asMap accepts the maps JSON and YAML decoders produce; YAML's non-string
// keys (true:, 1:) become their text, as the mapping loader reads them.
func asMap(raw any) (map[string]any, bool) {
	switch m := raw.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Validate runs Decode's checks on v, a struct built in Go rather than
// decoded (a test's, a caller's): an empty string counts as absent, so a
// required one is missing and an optional one skips its Enum check.
func Validate(fields []Field, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, errs := check(fields, m, nil)
	return errors.Join(errs...)
}
