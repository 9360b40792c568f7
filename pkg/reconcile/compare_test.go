package reconcile

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Values compare the way the target stores them.
func TestCanonical(t *testing.T) {
	for _, tt := range []struct {
		a, b any
		same bool
	}{
		{nil, "", true},                   // Salesforce keeps no empty strings
		{json.Number("42"), 42, true},     // a number read back
		{json.Number("1.50"), 1.5, true},  // its trailing zeros
		{json.Number("42"), "42", false},  // a number is no string
		{true, "true", false},             //
		{false, nil, false},               // a false checkbox is a value
		{map[string]any{}, nil, true},     // an empty object
		{[]any{"a"}, []string{"a"}, true}, // any slice type
		{map[string]any{"b": 1, "a": json.Number("2")}, map[string]any{"a": 2, "b": 1.0}, true},
		{"Ada", "ada", false},
	} {
		if got := canonical(tt.a) == canonical(tt.b); got != tt.same {
			t.Errorf("canonical(%#v) == canonical(%#v) is %v, want %v (%s, %s)", tt.a, tt.b, got, tt.same, canonical(tt.a), canonical(tt.b))
		}
	}
}

// A target that keeps text (HubSpot, LDAP) holds a number or a boolean
// as the text it was written as; a string stays a string.
func TestCanonicalText(t *testing.T) {
	for _, tt := range []struct {
		a, b any
		same bool
	}{
		{"42", 42, true},
		{"42", json.Number("42"), true},
		{"1.5", 1.5, true},
		{"true", true, true},
		{"false", false, true},
		{"01067", 1067, false}, // a postal code is no number
		{"1.50", 1.5, false},   // the text a target keeps is what it was sent
		{"", nil, true},
		{[]any{"1", "b"}, []any{1, "b"}, true},
		{"Ada", "ada", false},
	} {
		if got := canonicalText(tt.a) == canonicalText(tt.b); got != tt.same {
			t.Errorf("canonicalText(%#v) == canonicalText(%#v) is %v, want %v (%s, %s)", tt.a, tt.b, got, tt.same, canonicalText(tt.a), canonicalText(tt.b))
		}
	}
}

// A path the mapped record leaves out is no difference; one the target
// returns empty is.
func TestHashMask(t *testing.T) {
	paths := []string{"A", "B", "n.x"}
	want := map[string]any{"A": "1", "n": map[string]any{"x": "2"}}
	m := maskOf(want, paths)
	if !m.has(0) || m.has(1) || !m.has(2) {
		t.Fatalf("mask = %b", m)
	}
	got := map[string]any{"A": "1", "B": "anything", "n": map[string]any{"x": "2", "y": "extra"}}
	if hashOf(want, paths, m, false) != hashOf(got, paths, m, false) {
		t.Error("a field the mapping does not write made a difference")
	}
	got["n"] = map[string]any{}
	if hashOf(want, paths, m, false) == hashOf(got, paths, m, false) {
		t.Error("a field the target lost made no difference")
	}
	if d := diff(got, want, paths, false); len(d) != 1 || d[0].Field != "n.x" || d[0].Old != nil || d[0].New != "2" {
		t.Errorf("diff = %+v", d)
	}
}

func TestReports(t *testing.T) {
	p := &Plan{Target: "salesforce", Source: "cidaas", Run: "r1", Counts: Counts{Create: 1, Update: 1, Delete: 1, Unmanaged: 2},
		Changes: []Change{
			{Action: Create, Key: "k1", Fields: []FieldDiff{{Field: "LastName", New: "Lovelace"}}},
			{Action: Delete, Key: "k2"},
			{Action: Update, Key: "k3", Fields: []FieldDiff{{Field: "Email", Old: "a,b@example.com", New: nil}}},
		}}
	var b bytes.Buffer
	if err := p.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "action,key,field,old,new\ncreate,k1,LastName,,\"\"\"Lovelace\"\"\"\ndelete,k2,,,\nupdate,k3,Email,\"\"\"a,b@example.com\"\"\",null\n"
	if b.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := p.WriteText(&b, 50); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	text := strings.Join(lines, "\n")
	for _, s := range []string{"\ncreate 1\n", "(unmanaged, left alone) 2", "\ncreate k1 LastName \"Lovelace\"\n", "\nupdate k3 Email \"a,b@example.com\" null"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Changes) != 3 || back.Counts.Unmanaged != 2 {
		t.Errorf("json round trip: %v %+v", err, back)
	}
}
