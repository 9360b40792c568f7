package profile

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleEvent() Event {
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	upd := at.Add(-time.Hour)
	return Event{
		ID: "evt-1", Source: "cidaas", Type: Updated, Subject: "7e8f9a0b",
		OccurredAt: at, ReceivedAt: at.Add(2 * time.Second),
		Environment: "prod", ClientID: "web-shop", SourceType: "ACCOUNT_MODIFIED",
		Profile: &Profile{
			Sub: "7e8f9a0b", GivenName: "Jane", FamilyName: "Doe", Email: "jane.doe@example.com",
			EmailVerified: true, PhoneNumber: "+4915112345678", Locale: "de-DE", Birthdate: "1990-04-01",
			Address:   &Address{StreetAddress: "Hauptstr. 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"},
			UpdatedAt: &upd,
			Consents:  map[string]Consent{"newsletter": {Granted: true, At: &at, Version: "3"}},
			Claims:    map[string]Claim{"role": {Value: "pharmacist", Status: ClaimDeclared}},
			Custom:    map[string]any{"loyalty_tier": "gold"},
		},
	}
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), got) {
		t.Errorf("%s differs from the wire format:\n%s", path, got)
	}
}

func TestGoldenEvent(t *testing.T) { golden(t, "event.json", sampleEvent()) }

func TestGoldenEnvelope(t *testing.T) {
	golden(t, "envelope.json", NewEnvelope("salesforce", sampleEvent()))
}

func TestEnvelopeRoundTrip(t *testing.T) {
	env := NewEnvelope("salesforce", sampleEvent())
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, env) {
		t.Errorf("round trip changed the envelope:\n%+v\n%+v", got, env)
	}
	// The golden file decodes to the same envelope: old messages stay readable.
	raw, err := os.ReadFile("testdata/envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := UnmarshalEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFile, env) {
		t.Errorf("golden envelope decodes differently")
	}
}

func TestUnmarshalEnvelopeRejects(t *testing.T) {
	good, _ := NewEnvelope("t", sampleEvent()).Marshal()
	tests := []struct{ name, body, want string }{
		{"not json", "{", "decode envelope"},
		{"future version", strings.Replace(string(good), `"v":1`, `"v":3`, 1), "version 3 not supported"},
		{"no target", strings.Replace(string(good), `"target":"t"`, `"target":""`, 1), "no target"},
		{"bad type", strings.Replace(string(good), `"type":"updated"`, `"type":"upserted"`, 1), `type "upserted"`},
		{"no subject", strings.Replace(string(good), `"subject":"7e8f9a0b"`, `"subject":""`, 1), "subject is empty"},
		{"profile for someone else", strings.Replace(string(good), `"sub":"7e8f9a0b"`, `"sub":"other"`, 1), "profile.sub differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := UnmarshalEnvelope([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConsentEventNeedsPurpose(t *testing.T) {
	e := sampleEvent()
	e.Type = ConsentRevoked
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "purpose") {
		t.Fatalf("err = %v", err)
	}
	e.Purpose = "newsletter"
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenPointerEnvelope(t *testing.T) {
	golden(t, "envelope_stored.json", NewEnvelope("salesforce", sampleEvent()).Pointer("salesforce/abc"))
}

func TestPointerEnvelopeRoundTrip(t *testing.T) {
	ptr := NewEnvelope("salesforce", sampleEvent()).Pointer("salesforce/abc")
	if ptr.Event.Profile != nil || ptr.Version != StoredVersion {
		t.Fatalf("pointer = %+v", ptr)
	}
	b, err := ptr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalEnvelope(b)
	if err != nil || !reflect.DeepEqual(got, ptr) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, got, ptr)
	}
	for _, body := range []string{
		strings.Replace(string(b), `"v":2`, `"v":1`, 1),                 // a v1 reader would take it for a thin event
		strings.Replace(string(b), `,"stored":"salesforce/abc"`, ``, 1), // a pointer to nothing
	} {
		if _, err := UnmarshalEnvelope([]byte(body)); err == nil || !strings.Contains(err.Error(), "with stored") {
			t.Errorf("%s: err = %v", body, err)
		}
	}
}
