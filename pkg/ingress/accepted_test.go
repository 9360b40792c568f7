package ingress

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// acceptedReply's body is json.Marshal(acc), byte for byte.
func TestAcceptedEqualsMarshal(t *testing.T) {
	for name, acc := range map[string]Accepted{
		"zero":         {},
		"empty routed": {Enqueued: 0, Events: 2, Routed: []Routed{}},
		"routed": {Enqueued: 3, Events: 2, Routed: []Routed{
			{EventID: "9002025", Targets: []string{"crm", "audit"}}, {EventID: "e2", Targets: []string{}}}},
		"nil targets": {Events: 1, Routed: []Routed{{EventID: "e1"}}},
		"escapes": {Enqueued: -1, Events: 1 << 40, Routed: []Routed{
			{EventID: "e<1>&\"\\\n\x7f\xffZoë\u2028", Targets: []string{"we<ird>&", ""}}}},
	} {
		want, err := json.Marshal(acc)
		if err != nil {
			t.Fatal(err)
		}
		if got := acceptedReply(200, acc); got.Body != string(want) || got.StatusCode != 200 {
			t.Errorf("%s:\n got %d %s\nwant %s", name, got.StatusCode, got.Body, want)
		}
	}
}

// appendJSON writes every field Accepted and Routed have: a new one must
// be taught to it, or the answer would drop it.
func TestAcceptedFieldsWritten(t *testing.T) {
	if n := reflect.TypeFor[Accepted]().NumField(); n != 3 {
		t.Errorf("Accepted has %d fields; appendJSON writes 3", n)
	}
	if n := reflect.TypeFor[Routed]().NumField(); n != 2 {
		t.Errorf("Routed has %d fields; appendJSON writes 2", n)
	}
}

func FuzzAcceptedEqualsMarshal(f *testing.F) {
	f.Add("9002025", "crm", 1, 1)
	f.Add("e<1>&\xff", "", -5, 0)
	f.Fuzz(func(t *testing.T, id, target string, enq, evs int) {
		acc := Accepted{Enqueued: enq, Events: evs, Routed: []Routed{{EventID: id, Targets: []string{target, id}}}}
		want, _ := json.Marshal(acc)
		if got := acc.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
