package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
)

// invalidMapping maps a phone number that is not one (+1 555 numbers are
// fictional) and a birthdate that does not parse, under the given modes.
func invalidMapping(t *testing.T, phone, date string) *Mapping {
	t.Helper()
	y := "version: 1\nconnector: generic\nevents: [updated]\nfields:\n" +
		"  Phone: {from: phone_number, transform: [{e164: DE}]" + phone + "}\n" +
		"  Birthday: {from: birthdate, transform: [trim, {date: date}]" + date + "}\n" +
		"  Name: given_name\n"
	m, err := withPhone.Parse("crm.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func invalidProfile() *profile.Profile {
	return &profile.Profile{Sub: "u-1", GivenName: "Jane", PhoneNumber: "+15555550123", Birthdate: " next tuesday "}
}

func TestOnInvalid(t *testing.T) {
	e := profile.Event{Type: "updated", Subject: "u-1"}
	tests := []struct {
		name, phone, date string
		want              map[string]any
		dropped           []Dropped
	}{
		{"drop is the default and is reported", "", "",
			map[string]any{"Name": "Jane"},
			[]Dropped{{Field: "Birthday", Transform: "date"}, {Field: "Phone", Transform: "e164"}}},
		{"drop with a default reports the default", ", on_invalid: drop, default: none", ", default: '1970-01-01'",
			map[string]any{"Name": "Jane", "Phone": "none", "Birthday": "1970-01-01"},
			[]Dropped{{Field: "Birthday", Transform: "date", Default: true}, {Field: "Phone", Transform: "e164", Default: true}}},
		{"keep sends the value before the failing transform", ", on_invalid: keep", ", on_invalid: keep",
			map[string]any{"Name": "Jane", "Phone": "+15555550123", "Birthday": "next tuesday"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := invalidMapping(t, tt.phone, tt.date).Decide(e, invalidProfile())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Fields, tt.want) {
				t.Errorf("fields = %v, want %v", d.Fields, tt.want)
			}
			if !reflect.DeepEqual(d.Dropped, tt.dropped) {
				t.Errorf("dropped = %+v, want %+v", d.Dropped, tt.dropped)
			}
		})
	}
}

func TestOnInvalidValidValuesReportNothing(t *testing.T) {
	p := invalidProfile()
	p.PhoneNumber, p.Birthdate = "0151 12345678", "1990-04-01"
	d, err := invalidMapping(t, ", on_invalid: fail", ", on_invalid: fail").Decide(profile.Event{Type: "updated", Subject: "u-1"}, p)
	if err != nil || d.Dropped != nil || d.Fields["Phone"] != "+4915112345678" || d.Fields["Birthday"] != "1990-04-01" {
		t.Fatalf("decision %+v, %v", d, err)
	}
	// An absent attribute is nothing to convert, not an invalid value.
	p.PhoneNumber = ""
	if d, err = invalidMapping(t, ", on_invalid: fail", "").Decide(profile.Event{Type: "updated", Subject: "u-1"}, p); err != nil || d.Dropped != nil {
		t.Fatalf("absent phone: %+v, %v", d.Dropped, err)
	}
}

func TestOnInvalidFailNamesFieldAndTransformNotValue(t *testing.T) {
	m := invalidMapping(t, ", on_invalid: fail", "")
	_, err := m.Decide(profile.Event{Type: "updated", Subject: "u-1"}, invalidProfile())
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
	for _, want := range []string{"field Phone", "e164", "on_invalid: fail"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "555") {
		t.Errorf("err %q carries the value", err)
	}
	if _, _, err := m.Record(m.RulesFor(profile.Event{}), invalidProfile()); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Record: err = %v", err)
	}
}

func TestOnInvalidRejectsUnknownMode(t *testing.T) {
	y := "version: 1\nconnector: generic\nevents: [updated]\nfields:\n  Phone: {from: phone_number, on_invalid: ignore}\n"
	_, err := withPhone.Parse("crm.yaml", []byte(y))
	if err == nil || !strings.Contains(err.Error(), "crm.yaml:5:") || !strings.Contains(err.Error(), "Phone.on_invalid") ||
		!strings.Contains(err.Error(), "want drop, keep or fail") {
		t.Fatalf("err = %v", err)
	}
}
