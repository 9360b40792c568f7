package mapping

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/profile"
)

const base = `version: 1
connector: generic
events: [created, updated]
fields:
  FirstName: given_name
  Address.City: address.locality
  Newsletter: consents.newsletter.granted
  Tier: custom.loyalty.tier
constants:
  Origin: ProfileSync
environments:
  prod:
    events: [created, updated, deleted]
    constants:
      Origin: ProfileSync (prod)
clients:
  pos:
    sources: [cidaas]
    fields:
      FirstName: null
      Phone: phone_number
`

func testProfile() *profile.Profile {
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	return &profile.Profile{
		Sub: "u-1", GivenName: "Jane", PhoneNumber: "+4915112345678",
		Address:  &profile.Address{Locality: "Berlin"},
		Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: &at}},
		Custom:   map[string]any{"loyalty": map[string]any{"tier": "gold"}},
	}
}

func TestRecordAndOverrides(t *testing.T) {
	m, err := withPhone.Parse("mappings/crm.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env, client string
		want              map[string]any
		events            []profile.EventType
	}{
		{"customer default", "", "", map[string]any{
			"FirstName": "Jane", "Address": map[string]any{"City": "Berlin"}, "Newsletter": true,
			"Tier": "gold", "Origin": "ProfileSync"}, []profile.EventType{"created", "updated"}},
		{"environment overrides constants and events", "prod", "", map[string]any{
			"FirstName": "Jane", "Address": map[string]any{"City": "Berlin"}, "Newsletter": true,
			"Tier": "gold", "Origin": "ProfileSync (prod)"}, []profile.EventType{"created", "updated", "deleted"}},
		{"client removes and adds fields on top of the environment", "prod", "pos", map[string]any{
			"Phone": "+4915112345678", "Address": map[string]any{"City": "Berlin"}, "Newsletter": true,
			"Tier": "gold", "Origin": "ProfileSync (prod)"}, []profile.EventType{"created", "updated", "deleted"}},
		{"unknown environment falls back to the default", "qa", "", map[string]any{
			"FirstName": "Jane", "Address": map[string]any{"City": "Berlin"}, "Newsletter": true,
			"Tier": "gold", "Origin": "ProfileSync"}, []profile.EventType{"created", "updated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.Resolve(tt.env, tt.client)
			key, got, err := m.Record(r, testProfile())
			if err != nil {
				t.Fatal(err)
			}
			if key != "u-1" {
				t.Errorf("key = %q", key)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record = %#v\nwant %#v", got, tt.want)
			}
			if !reflect.DeepEqual(r.Events, tt.events) {
				t.Errorf("events = %v, want %v", r.Events, tt.events)
			}
		})
	}
}

func TestSubscribesAndRoute(t *testing.T) {
	crm, err := withPhone.Parse("crm.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	other, err := withPhone.Parse("audit.yaml", []byte("version: 1\nconnector: generic\nevents: [deleted]\n"))
	if err != nil {
		t.Fatal(err)
	}
	set := NewSet(crm, other)
	ev := func(typ profile.EventType, src, env, client string) profile.Event {
		return profile.Event{Type: typ, Source: src, Environment: env, ClientID: client}
	}
	tests := []struct {
		e    profile.Event
		want []string
	}{
		{ev("created", "clerk", "", ""), []string{"crm"}},
		{ev("deleted", "clerk", "", ""), []string{"audit"}},
		{ev("deleted", "clerk", "prod", ""), []string{"audit", "crm"}},
		{ev("created", "clerk", "prod", "pos"), nil}, // pos only takes cidaas
		{ev("created", "cidaas", "prod", "pos"), []string{"crm"}},
		{ev("consent_granted", "cidaas", "", ""), nil},
	}
	for _, tt := range tests {
		if got := set.Route(tt.e); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Route(%v/%s/%s/%s) = %v, want %v", tt.e.Type, tt.e.Source, tt.e.Environment, tt.e.ClientID, got, tt.want)
		}
	}
}

func TestParseErrorsNameFileLineColumnAndField(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown top-level key", base + "evnets: [created]\n", `crm.yaml:22:1: evnets: unknown key; want one of version, connector`},
		{"bad event type", strings.Replace(base, "[created, updated]", "[created, upserted]", 1), `crm.yaml:3:19: events: unknown event type "upserted"`},
		{"missing events", strings.Replace(base, "events: [created, updated]\n", "", 1), "crm.yaml:1:1: events: is required"},
		{"version", strings.Replace(base, "version: 1", "version: 2", 1), "crm.yaml:1:10: version: must be 1"},
		{"malformed profile path", strings.Replace(base, "given_name", "given name", 1), `crm.yaml:5:14: fields.FirstName: bad path "given name"`},
		{"nested collision", strings.Replace(base, "Tier: custom", "FirstName.Inner: custom", 1), `nested under "FirstName"`},
		{"field and constant on one path", strings.Replace(base, "Origin: ProfileSync\n", "FirstName: x\n", 1), "constants.FirstName: also mapped under fields"},
		{"unknown key in override", strings.Replace(base, "    sources: [cidaas]", "    source: [cidaas]", 1), "crm.yaml:18:5: clients.pos.source: unknown key; want one of events, sources"},
		{"unknown transform", strings.Replace(base, "FirstName: given_name", "FirstName: {from: given_name, transform: [titlecase]}", 1), "crm.yaml:5:45: fields.FirstName.transform.titlecase: unknown transform"},
		{"expression type error", strings.Replace(base, "FirstName: given_name", "FirstName: {expr: 'given_name + 1'}", 1), `crm.yaml:5:21: fields.FirstName.expr: expression "given_name + 1": invalid operation: + (mismatched types string and int)`},
		{"expression unknown name", strings.Replace(base, "FirstName: given_name", "FirstName: {expr: 'given_nmae'}", 1), `fields.FirstName.expr: expression "given_nmae": unknown name given_nmae`},
		{"scope must be boolean", base + "scope: email\n", `crm.yaml:22:8: scope: expression "email": expected bool`},
		{"unknown policy", base + "on_delete: purge\n", `crm.yaml:22:12: on_delete: want delete, ignore`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := withPhone.Parse("mappings/crm.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// Profile attributes the canonical profile does not have are warnings: the
// mapping loads, the field never has a value.
func TestUnknownProfileAttributesWarn(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"typo in profile path", strings.Replace(base, "given_name", "given_nmae", 1), `crm.yaml:5:14: warning: fields.FirstName: profile has no attribute "given_nmae"`},
		{"bad address sub-field", strings.Replace(base, "address.locality", "address.town", 1), `crm.yaml:6:17: warning: fields.Address.City: address has no field "town"; it has formatted, street_address`},
		{"consent path needs a field", strings.Replace(base, "consents.newsletter.granted", "consents.newsletter", 1), "warning: fields.Newsletter: consents.newsletter is an object; name one of its fields: granted, at, version"},
		{"bad path in client override", strings.Replace(base, "Phone: phone_number", "Phone: phone", 1), `warning: clients.pos.fields.Phone: profile has no attribute "phone"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, problems := withPhone.Diagnose("mappings/crm.yaml", []byte(tt.yaml))
			if m == nil {
				t.Fatalf("did not load: %v", problems)
			}
			if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0].Error(), tt.want) {
				t.Fatalf("warnings = %v\nwant one containing %q", m.Warnings, tt.want)
			}
		})
	}
	// custom.* is free-form: no warning at any depth.
	m, _ := withPhone.Diagnose("crm.yaml", []byte(strings.Replace(base, "custom.loyalty.tier", "custom.a.b.c.d", 1)))
	if m == nil || len(m.Warnings) != 0 {
		t.Fatalf("custom path: %v", m.Warnings)
	}
}

// Every problem of a file is reported, not just the first.
func TestParseReportsEveryError(t *testing.T) {
	y := strings.Replace(base, "version: 1", "version: 3", 1) + "evnets: [x]\nscope: 'nope('\n"
	_, problems := withPhone.Diagnose("crm.yaml", []byte(y))
	if len(problems) != 3 {
		t.Fatalf("problems = %v", problems)
	}
}

func TestSettingsCheckerErrorsNameTheFile(t *testing.T) {
	check := func(kind string, s map[string]any) error {
		if kind != "generic" {
			return errors.New("unknown connector")
		}
		return nil
	}
	_, err := Parse("x/crm.yaml", []byte(strings.Replace(base, "connector: generic", "connector: nope", 1)), check)
	if err == nil || !strings.Contains(err.Error(), "crm.yaml:2:12: settings: unknown connector") {
		t.Fatalf("err = %v", err)
	}
}

func TestNoKey(t *testing.T) {
	m, err := withPhone.Parse("crm.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = m.Record(m.Resolve("", ""), &profile.Profile{GivenName: "x"})
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("err = %v, want ErrNoKey", err)
	}
}

func TestShippedMappingsLoad(t *testing.T) {
	set, err := withPhone.LoadFS(mappings.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("../../mappings")
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			n++
		}
	}
	if len(set.All()) != n || n == 0 {
		t.Fatalf("loaded %d mappings, %d files", len(set.All()), n)
	}
}
