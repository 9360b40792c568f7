package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/profile"
)

func TestNeedsPhone(t *testing.T) {
	const head = "version: 1\nconnector: generic\nevents: [created]\n"
	tests := []struct {
		name, body string
		want       bool
	}{
		{"no phone", "fields: {Phone: phone_number}\n", false},
		{"transform with region", "fields: {Phone: {from: phone_number, transform: [{e164: DE}]}}\n", true},
		{"transform without region", "fields: {Phone: {from: phone_number, transform: [e164]}}\n", true},
		{"field expression", "fields: {Phone: {expr: 'e164(phone_number, \"AT\")'}}\n", true},
		{"scope expression", "scope: 'e164(phone_number, \"DE\") != \"\"'\n", true},
		{"only in an environment", "fields: {Phone: phone_number}\nenvironments:\n  prod:\n    fields: {Phone: {from: phone_number, transform: [{e164: DE}]}}\n", true},
		{"only for a client", "fields: {Phone: phone_number}\nclients:\n  shop:\n    fields: {Phone: {expr: 'e164(phone_number, \"DE\")'}}\n", true},
		{"a field named e164 is not a call", "fields: {e164: phone_number}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := withPhone.Parse("crm.yaml", []byte(head+tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.NeedsPhone(); got != tt.want {
				t.Errorf("NeedsPhone() = %v, want %v", got, tt.want)
			}
		})
	}
}

// A binary without a normaliser (the ingress function) loads and routes a
// mapping that uses e164 but refuses to evaluate it, so no record goes out
// with its phone silently missing.
func TestWithoutPhoneNormaliser(t *testing.T) {
	const body = "version: 1\nconnector: generic\nevents: [created]\n"
	phoneMapping, err := Parse("crm.yaml", []byte(body+"fields: {Phone: {from: phone_number, transform: [{e164: DE}]}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	exprMapping, err := Parse("crm.yaml", []byte(body+"fields: {Phone: {expr: 'e164(phone_number, \"DE\")'}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Parse("crm.yaml", []byte(body+"fields: {Phone: phone_number}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := profile.Event{Type: profile.Created, Subject: "u-1"}
	p := &profile.Profile{Sub: "u-1", PhoneNumber: "0151 12345678"}

	for name, m := range map[string]*Mapping{"transform": phoneMapping, "expression": exprMapping} {
		if got := m.RulesFor(e).Subscribes(e); !got {
			t.Errorf("%s: the mapping no longer routes created events", name)
		}
		if _, err := m.Decide(e, p); !errors.Is(err, ErrNoPhone) {
			t.Errorf("%s: Decide error = %v, want ErrNoPhone", name, err)
		}
		if _, _, err := m.Record(m.RulesFor(e), p); !errors.Is(err, ErrNoPhone) {
			t.Errorf("%s: Record error = %v, want ErrNoPhone", name, err)
		}
	}
	// The expression function refuses on its own too (a program evaluated
	// without going through Decide or Record).
	if _, err := exprMapping.RulesFor(e).fields["Phone"].expr.run(borrowEnv(p, &e)); err == nil || !strings.Contains(err.Error(), ErrNoPhone.Error()) {
		t.Errorf("e164() without a normaliser: error = %v, want ErrNoPhone", err)
	}
	d, err := plain.Decide(e, p)
	if err != nil || d.Fields["Phone"] != "0151 12345678" {
		t.Errorf("a mapping without e164 must evaluate without a normaliser: %+v, %v", d, err)
	}

	phoneMapping, err = Loader{Phone: phone.E164}.Parse("crm.yaml", []byte(body+"fields: {Phone: {from: phone_number, transform: [{e164: DE}]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err = phoneMapping.Decide(e, p)
	if err != nil || d.Fields["Phone"] != "+4915112345678" {
		t.Errorf("with the normaliser: %+v, %v", d, err)
	}
}
