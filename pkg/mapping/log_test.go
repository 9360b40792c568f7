package mapping

import (
	"fmt"
	"strings"
	"testing"
)

func TestLogSettings(t *testing.T) {
	m, err := withPhone.Parse("crm.yaml", []byte(base+"log:\n  values: mask\n  fields: {Newsletter: plain, Address: omit, FirstName: hash}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]LogValues{
		"Newsletter": LogPlain, "Address.City": LogOmit, "FirstName": LogHash, "Tier": LogMask, "Origin": LogMask,
	} {
		if got := m.Log.For(field); got != want {
			t.Errorf("For(%s) = %s, want %s", field, got, want)
		}
	}
	m, err = withPhone.Parse("crm.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Log.For("Newsletter"); got != LogHash {
		t.Errorf("default For = %s, want hash", got)
	}
}

// A bad log block is reported at its line and column, like every key.
func TestLogSettingsErrors(t *testing.T) {
	lines := strings.Count(base, "\n")
	for name, tt := range map[string]struct{ log, want string }{
		"bad default": {"log:\n  values: clear\n", `:%d:11: log.values: want one of hash, mask, omit, plain, got "clear"`},
		"bad field":   {"log:\n  fields:\n    FirstName: raw\n", `:%d:16: log.fields.FirstName: want one of hash`},
		"unknown key": {"log:\n  value: hash\n", `:%d:3: log.value: unknown key`},
		"bad path":    {"log:\n  fields:\n    'First..Name': plain\n", `:%d:5: log.fields.First..Name: target path`},
		"not a map":   {"log: plain\n", `:%d:6: log: must be a map`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := withPhone.Parse("crm.yaml", []byte(base+tt.log))
			if err == nil {
				t.Fatal("accepted")
			}
			line := lines + strings.Count(tt.log, "\n")
			if name == "not a map" {
				line = lines + 1
			}
			want := "crm.yaml" + fmt.Sprintf(tt.want, line)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}
}

// A log.fields path no level sends is a warning: the field keeps the
// default.
func TestLogSettingsUnknownFieldWarns(t *testing.T) {
	m, problems := withPhone.Diagnose("crm.yaml", []byte(base+"log:\n  fields: {Email: plain, Address: mask}\n"))
	if m == nil {
		t.Fatalf("refused: %v", problems)
	}
	if len(problems) != 1 || !problems[0].Warning || problems[0].Field != "log.fields.Email" {
		t.Errorf("problems %v, want one warning about log.fields.Email", problems)
	}
}
