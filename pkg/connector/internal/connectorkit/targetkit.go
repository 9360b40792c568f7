// Package connectorkit holds the plumbing every connector shares, and knows
// nothing about any one back-end:
//
//   - connectorkit.go: strict decoding of a mapping's settings block and of a
//     secret, with errors that name the field and never quote a value (it
//     may be a secret);
//   - call.go: sending one HTTP request with a bounded response read and
//     classified, URL-free transport errors, and the OAuth 2.0 client
//     credentials token request;
//   - token.go: a token cache shared by a Client's goroutines that
//     refreshes once per rejected token.
//
// What stays in each connector: its headers and auth, its error bodies and
// their classification, its token answer's shape, and when it retries.
package connectorkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// DecodeSettings checks m's keys against allowed (so the message names the
// key; nil allowed skips that check) and then decodes m into v through JSON,
// rejecting unknown keys at every level.
func DecodeSettings(m map[string]any, allowed []string, v any) error {
	if allowed != nil {
		var unknown []string
		for k := range m {
			if !slices.Contains(allowed, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return fmt.Errorf("field %q: unknown (want one of %s)", unknown[0], strings.Join(allowed, ", "))
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return DecodeJSON(b, v)
}

// DecodeJSON decodes raw (a secret, or re-encoded settings) into v,
// rejecting unknown keys.
func DecodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return FieldError(err)
	}
	return nil
}

// FieldError rewrites a JSON decoding error so it names the field and never
// quotes the offending value.
func FieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q: want a %s, got %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	}
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("field %s: unknown", s)
	}
	return err
}
