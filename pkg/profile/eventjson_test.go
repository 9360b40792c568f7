package profile

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// everyField is an Event with every field set, found by reflection: a
// field added to Event (and to eventWire, as its mirror test demands)
// but not to appendEvent makes TestAppendEventEqualsMarshal fail.
func everyField(t *testing.T) Event {
	t.Helper()
	var e Event
	v := reflect.ValueOf(&e).Elem()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(at.Add(time.Duration(i) * time.Second)))
		case f.Type() == reflect.TypeFor[*Profile]():
			f.Set(reflect.ValueOf(sampleEvent().Profile))
		case f.Kind() == reflect.String:
			f.SetString(v.Type().Field(i).Name + "-1")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("Event.%s: a %s, which this test (and appendEvent) must learn", v.Type().Field(i).Name, f.Type())
		}
	}
	return e
}

func TestAppendEventEqualsMarshal(t *testing.T) {
	full := everyField(t)
	thin := Event{ID: "900202501", Source: "auth0", Type: Updated, Subject: "auth0|6775", OccurredAt: full.OccurredAt, ReceivedAt: full.ReceivedAt}
	tricky := full
	tricky.ID, tricky.Subject, tricky.SourceType = "e<1>&\"\\\n\t\x01\x7f", "Zoë\u2028\u2029", "bad\xffutf8"
	tricky.Environment, tricky.ClientID, tricky.Purpose = "ümlaut", "\U0001F600", "a/b"
	local := thin
	local.OccurredAt = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("", -5*3600-30*60))
	for name, e := range map[string]Event{"every field": full, "thin": thin, "escapes": tricky, "zone": local, "zero": {}} {
		want, err := json.Marshal(wireOf(e))
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendEvent([]byte("keep"), &e)
		if err != nil || !bytes.Equal(got, append([]byte("keep"), want...)) {
			t.Errorf("%s: %v\n got %s\nwant keep%s", name, err, got, want)
		}
	}
}

// A time encoding/json refuses is refused by appendEvent too, and
// MarshalFor returns encoding/json's own error for the event.
func TestMarshalForRefusesWhatMarshalRefuses(t *testing.T) {
	e := Event{ID: "e", Source: "s", Type: Created, Subject: "x", OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := NewEnvelope("crm", e).Marshal(); err == nil {
		t.Fatal("encoding/json took year 10000")
	}
	_, want := json.Marshal(wireOf(e))
	if _, err := appendEvent(nil, &e); err == nil {
		t.Error("appendEvent took year 10000")
	}
	if _, err := MarshalFor(e, []string{"crm"}); err == nil || err.Error() != want.Error() {
		t.Errorf("MarshalFor: %v, want %v", err, want)
	}
}

func FuzzMarshalFor(f *testing.F) {
	f.Add("evt-1", "auth0|6775", "sapi", "crm", "prod", int64(1735725900), false)
	f.Add("e<1>&", "Zoë\u2028", "bad\xff", "we<ird>&\"", "", int64(-62135596800), true)
	f.Add("", "", "", "", "\x00\x1f\\", int64(253402300800), false)
	f.Fuzz(func(t *testing.T, id, subject, sourceType, target, env string, sec int64, replay bool) {
		at := time.Unix(sec, 0).UTC()
		e := Event{ID: id, Source: "auth0", Type: Updated, Subject: subject, OccurredAt: at, ReceivedAt: at,
			Environment: env, ClientID: target, SourceType: sourceType, Replay: replay}
		if replay {
			e.Profile = &Profile{Sub: subject, GivenName: sourceType}
		}
		want, werr := NewEnvelope(target, e).Marshal()
		got, gerr := MarshalFor(e, []string{target, "crm"})
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors: MarshalFor %v, Marshal %v", gerr, werr)
		}
		if werr != nil {
			return
		}
		want2, _ := NewEnvelope("crm", e).Marshal()
		if !bytes.Equal(got[0], want) || !bytes.Equal(got[1], want2) {
			t.Fatalf("\n got %s\n     %s\nwant %s\n     %s", got[0], got[1], want, want2)
		}
	})
}

// A thin event's envelope for one target is one allocation (and the
// slice of bodies): eventSize leaves appendEvent nothing to grow, for
// the longest times RFC 3339 allows.
func TestMarshalForAllocatesOnce(t *testing.T) {
	at := time.Date(2025, 1, 1, 10, 5, 0, 456789123, time.FixedZone("", -(9*3600+30*60)))
	e := Event{ID: "90020250101100500123456789012345678901234567890123456790", Source: "auth0-acme", Type: Updated,
		Subject: "auth0|677511aa22bb33cc44dd55ee", OccurredAt: at, ReceivedAt: at, Environment: "prod",
		ClientID: "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654", Purpose: "p", SourceType: "sapi", Replay: true}
	if n := testing.AllocsPerRun(100, func() { _, _ = MarshalFor(e, []string{"crm-eu-west"}) }); n != 2 {
		t.Errorf("%v allocations, want 2", n)
	}
}
