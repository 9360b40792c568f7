// Package configtest runs each connector's own settings and secret cases
// — the checks its spec cannot express, such as API-name patterns and
// cross-field rules — the same way for every connector. The cases every
// kind shares (unknown, missing, wrong type, bad enum) run from the specs
// in pkg/connector/registry; the tables stay beside each connector.
package configtest

import (
	"strings"
	"testing"
)

// noValue is a digit run the secret tables use as a sensitive value.
const noValue = "12345678"

// Settings runs one settings case as a subtest: a valid one (errField "")
// decodes and ok holds for the result (nil ok: any result); an invalid
// one's error names errField, and check (CheckSettings, what `profilesync
// validate` runs) refuses it too.
func Settings[S any](t *testing.T, name string, in map[string]any, errField string,
	decode func(map[string]any) (S, error), check func(map[string]any) error, ok func(S) bool) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		got, err := decode(in)
		if errField == "" {
			if err != nil || (ok != nil && !ok(got)) {
				t.Fatalf("DecodeSettings = %+v, %v", got, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), errField) {
			t.Fatalf("DecodeSettings error = %v, want one naming %s", err, errField)
		}
		if check(in) == nil {
			t.Fatal("CheckSettings accepted what DecodeSettings refused")
		}
	})
}

// Secret runs one secret case as a subtest: a valid one (errField "")
// parses and ok holds (nil ok: any result); an invalid one's error names
// errField and quotes none of secrets, nor a run of digits.
func Secret[C any](t *testing.T, name, in, errField string, parse func([]byte) (C, error), ok func(C) bool, secrets ...string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		got, err := parse([]byte(in))
		if errField == "" {
			if err != nil || (ok != nil && !ok(got)) {
				t.Fatalf("ParseCredentials = %v (ok %v)", err, err == nil)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), errField) {
			t.Fatalf("error = %v, want one naming %s", err, errField)
		}
		for _, s := range append(secrets, noValue) {
			if s != "" && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q quotes a secret value", err)
			}
		}
	})
}
