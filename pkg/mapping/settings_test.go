package mapping

import (
	"errors"
	"fmt"
	"testing"

	"github.com/profilesync/profilesync/pkg/spec"
)

// Each settings error lands on the line and column of the key it names
// (of the value, for a bad value), else on the settings block.
func TestSettingsErrorsLocated(t *testing.T) {
	const doc = `version: 1
connector: generic
settings:
  auth: bearer
  list_ids: [1, 2, -3]
  requests:
    upsert: {method: GET, path: /c}
events: [created]
fields:
  a: email
`
	tests := []struct {
		name      string
		err       error
		line, col int
	}{
		{"absent key", &spec.Error{Path: spec.At("bogus")}, 4, 3},
		{"key", &spec.Error{Path: spec.At("auth")}, 4, 3},
		{"value", spec.Errorf(spec.At("auth"), "bad"), 4, 9},
		{"list element", spec.Errorf(spec.At("list_ids", spec.Index(2)), "bad"), 5, 20},
		{"nested value", spec.Errorf(spec.At("requests", "upsert", "method"), "bad"), 7, 22},
		{"missing nested", &spec.Error{Path: spec.At("requests", "deleted", "method")}, 6, 3},
		{"no path", errors.New("plain"), 4, 3},
		{"wrapped", fmt.Errorf("ctx: %w", spec.Errorf(spec.At("auth"), "bad")), 4, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(string, map[string]any) error { return tt.err }
			_, problems := Diagnose("crm.yaml", []byte(doc), check)
			for _, p := range problems {
				if p.Field == "settings" && !p.Warning {
					if p.Line != tt.line || p.Column != tt.col {
						t.Fatalf("at %d:%d, want %d:%d (%v)", p.Line, p.Column, tt.line, tt.col, p)
					}
					return
				}
			}
			t.Fatalf("no settings error in %v", problems)
		})
	}
}

// A joined error is reported once per member.
func TestSettingsErrorsJoined(t *testing.T) {
	check := func(string, map[string]any) error {
		return errors.Join(&spec.Error{Path: spec.At("a")}, &spec.Error{Path: spec.At("b")})
	}
	_, problems := Diagnose("crm.yaml", []byte("version: 1\nconnector: x\nsettings: {a: 1, b: 2}\nevents: [created]\n"), check)
	n := 0
	for _, p := range problems {
		if p.Field == "settings" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d settings problems, want 2: %v", n, problems)
	}
}
