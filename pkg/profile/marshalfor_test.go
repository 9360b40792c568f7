package profile

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// MarshalFor writes exactly what Marshal writes, for every target.
func TestMarshalForEqualsMarshal(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	e := Event{ID: "e<1>&", Source: "cidaas", Type: Updated, Subject: "sub-1", OccurredAt: at, ReceivedAt: at, Replay: true,
		Profile: &Profile{Sub: "sub-1", GivenName: "Zoë <b>", Email: "a&b@example.com",
			Custom: map[string]any{"z": 1, "a": []any{"x", 2.5}}}}
	targets := []string{"salesforce", "crm-eu", "we<ird>&\"name\u2028"}
	bodies, err := MarshalFor(e, targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range targets {
		want, err := NewEnvelope(target, e).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bodies[i], want) {
			t.Errorf("%s:\n got %s\nwant %s", target, bodies[i], want)
		}
		if _, err := UnmarshalEnvelope(bodies[i]); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
	if b, err := MarshalFor(e, nil); b != nil || err != nil {
		t.Errorf("no targets: %v %v", b, err)
	}
}

// eventWire has Event's fields, in order, with the same names and tags: a
// field added to Event must be added there too, or MarshalFor would drop
// it.
func TestEventWireMirrorsEvent(t *testing.T) {
	ev, wire := reflect.TypeFor[Event](), reflect.TypeFor[eventWire]()
	if ev.NumField() != wire.NumField() {
		t.Fatalf("Event has %d fields, eventWire %d", ev.NumField(), wire.NumField())
	}
	for i := range ev.NumField() {
		a, b := ev.Field(i), wire.Field(i)
		if a.Name != b.Name || a.Tag != b.Tag {
			t.Errorf("field %d: Event %s %q, eventWire %s %q", i, a.Name, a.Tag, b.Name, b.Tag)
		}
		if a.Type != b.Type && !(a.Type == reflect.TypeFor[time.Time]() && b.Type == reflect.TypeFor[wireTime]()) {
			t.Errorf("field %s: Event %s, eventWire %s", a.Name, a.Type, b.Type)
		}
	}
}
