package mapping

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

const scoped = `version: 1
connector: generic
events: [created, updated, deleted, consent_granted, consent_revoked]
scope: 'address.country in ["DE", "AT"]'
consent: {purpose: newsletter, on_revoke: {deactivate: {Subscribed: false}}}
on_delete: {deactivate: {Active: false}}
fields:
  FirstName: given_name
  Phone: phone_number
environments:
  prod:
    on_delete: delete
    scope: null
clients:
  kiosk:
    consent: null
    on_delete: {anonymise: {FirstName: Anonymous, Phone: null}}
`

func TestDecide(t *testing.T) {
	m, err := withPhone.Parse("crm.yaml", []byte(scoped))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	in := func(country string, granted bool) *profile.Profile {
		return &profile.Profile{Sub: "u-1", GivenName: "Jane", PhoneNumber: "+4915112345678",
			Address:  &profile.Address{Country: country},
			Consents: map[string]profile.Consent{"newsletter": {Granted: granted}}}
	}
	ev := func(typ profile.EventType, env, client, purpose string) profile.Event {
		return profile.Event{ID: "e", Source: "s", Type: typ, Subject: "u-1", OccurredAt: at,
			Environment: env, ClientID: client, Purpose: purpose}
	}
	tests := []struct {
		name string
		e    profile.Event
		p    *profile.Profile
		want Decision
	}{
		{"in scope with consent", ev("updated", "", "", ""), in("DE", true), Decision{Action: Upsert, Cause: CauseSync,
			Key: "u-1", Fields: map[string]any{"FirstName": "Jane", "Phone": "+4915112345678"}}},
		{"out of scope applies the delete policy if present", ev("updated", "", "", ""), in("US", true), Decision{Action: Upsert,
			Cause: CauseOutOfScope, Policy: DeactivatePolicy, Key: "u-1", Fields: map[string]any{"Active": false}, IfPresent: true, Ends: true}},
		{"consent revoked by the event wins over the snapshot", ev("consent_revoked", "", "", "newsletter"), in("DE", true), Decision{Action: Upsert,
			Cause: CauseOptOut, Policy: DeactivatePolicy, Key: "u-1", Fields: map[string]any{"Subscribed": false}, IfPresent: true, Ends: true}},
		{"consent never granted", ev("created", "", "", ""), &profile.Profile{Sub: "u-1", Address: &profile.Address{Country: "DE"}}, Decision{Action: Upsert,
			Cause: CauseOptOut, Policy: DeactivatePolicy, Key: "u-1", Fields: map[string]any{"Subscribed": false}, IfPresent: true, Ends: true}},
		{"consent granted by the event", ev("consent_granted", "", "", "newsletter"), in("DE", false), Decision{Action: Upsert, Cause: CauseSync,
			Key: "u-1", Fields: map[string]any{"FirstName": "Jane", "Phone": "+4915112345678"}}},
		{"another purpose revoked is an update", ev("consent_revoked", "", "", "sms"), in("DE", true), Decision{Action: Upsert, Cause: CauseSync,
			Key: "u-1", Fields: map[string]any{"FirstName": "Jane", "Phone": "+4915112345678"}}},
		{"deleted: deactivate", ev("deleted", "", "", ""), nil, Decision{Action: Upsert, Cause: CauseDeleted, Policy: DeactivatePolicy,
			Key: "u-1", Fields: map[string]any{"Active": false}, IfPresent: true, Ends: true}},
		{"prod: delete, no scope", ev("deleted", "prod", "", ""), nil, Decision{Action: Delete, Cause: CauseDeleted, Policy: DeletePolicy, Key: "u-1", Ends: true}},
		{"prod has no scope", ev("updated", "prod", "", ""), in("US", true), Decision{Action: Upsert, Cause: CauseSync,
			Key: "u-1", Fields: map[string]any{"FirstName": "Jane", "Phone": "+4915112345678"}}},
		{"kiosk: anonymise", ev("deleted", "", "kiosk", ""), nil, Decision{Action: Upsert, Cause: CauseDeleted, Policy: AnonymisePolicy,
			Key: "u-1", Fields: map[string]any{"FirstName": "Anonymous", "Phone": nil}, IfPresent: true, Ends: true}},
		{"kiosk needs no consent, keeps the scope", ev("updated", "", "kiosk", ""), in("DE", false), Decision{Action: Upsert, Cause: CauseSync,
			Key: "u-1", Fields: map[string]any{"FirstName": "Jane", "Phone": "+4915112345678"}}},
		{"kiosk on prod: prod's scope, kiosk's policy", ev("deleted", "prod", "kiosk", ""), nil, Decision{Action: Upsert, Cause: CauseDeleted,
			Policy: AnonymisePolicy, Key: "u-1", Fields: map[string]any{"FirstName": "Anonymous", "Phone": nil}, IfPresent: true, Ends: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Decide(tt.e, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			got.Reason = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecideIgnoreAndNotSubscribed(t *testing.T) {
	m, err := withPhone.Parse("crm.yaml", []byte("version: 1\nconnector: generic\nevents: [deleted]\non_delete: ignore\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := m.Decide(profile.Event{Type: "deleted", Subject: "u"}, nil)
	if d.Action != Skip || d.Policy != IgnorePolicy || d.Ends {
		t.Fatalf("ignore: %+v", d)
	}
	d, _ = m.Decide(profile.Event{Type: "created", Subject: "u"}, &profile.Profile{Sub: "u"})
	if d.Action != Skip || d.Cause != CauseNotSubscribed {
		t.Fatalf("not subscribed: %+v", d)
	}
}

// A scope that fails at run time is an error, never "out of scope": that
// would apply the delete policy to every subject.
func TestScopeRuntimeErrorIsAnError(t *testing.T) {
	y := "version: 1\nconnector: generic\nevents: [updated]\nscope: 'custom.tier.level == \"x\"'\n"
	m, err := withPhone.Parse("crm.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Decide(profile.Event{Type: "updated", Subject: "u"}, &profile.Profile{Sub: "u", Custom: map[string]any{"tier": "gold"}})
	if err == nil || !strings.Contains(err.Error(), "scope of crm") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnonymiseNamesMappedFields(t *testing.T) {
	_, err := withPhone.Parse("crm.yaml", []byte(strings.Replace(scoped, "on_delete: {deactivate: {Active: false}}", "on_delete: {anonymise: {Email: null}}", 1)))
	if err == nil || !strings.Contains(err.Error(), "on_delete.anonymise.Email: is not a mapped field") {
		t.Fatalf("err = %v", err)
	}
}

// TestEnvMirrorsProfile keeps env in step with the canonical profile: a new
// profile attribute must be added there, or paths and expressions miss it.
func TestEnvMirrorsProfile(t *testing.T) {
	pairs := [][2]reflect.Type{
		{reflect.TypeOf(profile.Profile{}), reflect.TypeOf(env{})},
		{reflect.TypeOf(profile.Address{}), reflect.TypeOf(addressEnv{})},
		{reflect.TypeOf(profile.Consent{}), reflect.TypeOf(consentEnv{})},
		{reflect.TypeOf(profile.Claim{}), reflect.TypeOf(claimEnv{})},
	}
	for _, p := range pairs {
		for i := 0; i < p[0].NumField(); i++ {
			f := p[0].Field(i)
			g, ok := p[1].FieldByName(f.Name)
			if !ok || g.Tag.Get("json") != f.Tag.Get("json") {
				t.Errorf("%s.%s (json %q) has no twin in %s", p[0].Name(), f.Name, f.Tag.Get("json"), p[1].Name())
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); g.Tag.Get("expr") != name {
				t.Errorf("%s.%s: expr tag %q, want %q", p[1].Name(), g.Name, g.Tag.Get("expr"), name)
			}
		}
	}
	// And newEnv copies every attribute: a fully set profile leaves no
	// zero field in env (the event aside).
	tm := time.Now()
	full := &profile.Profile{Sub: "s", Name: "n", GivenName: "g", FamilyName: "f", MiddleName: "m", Nickname: "n",
		PreferredUsername: "p", Picture: "p", Website: "w", Email: "e", EmailVerified: true, Gender: "g",
		Birthdate: "b", Zoneinfo: "z", Locale: "l", PhoneNumber: "p", PhoneNumberVerified: true,
		Address: &profile.Address{Formatted: "f", StreetAddress: "s", Locality: "l", Region: "r", PostalCode: "p", Country: "c"}, UpdatedAt: &tm,
		Consents: map[string]profile.Consent{"x": {}}, Claims: map[string]profile.Claim{"x": {}}, Custom: map[string]any{"x": 1}}
	v := reflect.ValueOf(*newEnv(full, nil))
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() && v.Type().Field(i).Name != "Event" {
			t.Errorf("newEnv does not copy %s", v.Type().Field(i).Name)
		}
	}
}

// expr quotes the operands of a failed operation ("invalid operation:
// int(Olga)"); the error becomes a DLQ reason and a log line, so the
// profile's values leave it, in any case, while the expression stays.
func TestExpressionRuntimeErrorQuotesNoProfileValue(t *testing.T) {
	for _, field := range []string{`int(given_name)`, `date(custom.since)`, `float(upper(email))`} {
		y := "version: 1\nconnector: generic\nevents: [updated]\nfields:\n  x: {expr: '" + field + "'}\n"
		m, err := withPhone.Parse("crm.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		p := &profile.Profile{Sub: "u", GivenName: "Olga", Email: "olga.outage@example.com", Custom: map[string]any{"since": "Olgas Geburtstag"}}
		_, err = m.Decide(profile.Event{Type: "updated", Subject: "u"}, p)
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "[redacted]") ||
			strings.Contains(strings.ToLower(err.Error()), "olga") {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}
