package mapping

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// applyTransforms parses a YAML transform list and runs it on in.
func applyTransforms(t *testing.T, list string, in any) (any, bool) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(list), &n); err != nil {
		t.Fatal(err)
	}
	d := &diags{file: "t.yaml", phoneFunc: withPhone.Phone}
	tables := map[string]map[string]any{"lang": {"de-DE": "de", "en-GB": "en"}}
	out, ok := in, true
	for _, c := range n.Content[0].Content {
		f := d.parseTransform(c, "transform", tables)
		if f == nil || d.errs() > 0 {
			t.Fatalf("parse %s: %v", list, d.list)
		}
		if ok {
			out, ok = f(out)
		}
	}
	return out, ok && !empty(out)
}

func TestTransforms(t *testing.T) {
	tests := []struct {
		name, list string
		in, want   any
		ok         bool
	}{
		{"trim", "[trim]", "  Jane \t", "Jane", true},
		{"trim to empty is no value", "[trim]", "   ", nil, false},
		// Simple (one rune to one rune) Unicode case mapping, as strings.ToLower.
		{"lower unicode", "[lower]", "ÄRZTIN İstanbul", "ärztin istanbul", true},
		{"upper unicode keeps ß", "[upper]", "straße", "STRAßE", true},
		{"upper leaves non-strings", "[upper]", true, true, true},
		{"lower each element", "[lower]", []any{"A", "B"}, []any{"a", "b"}, true},
		{"e164 national with region", "[{e164: DE}]", "0151 12345678", "+4915112345678", true},
		{"e164 international ignores region", "[{e164: DE}]", "+44 20 7946 0958", "+442079460958", true},
		{"e164 lower-case region", "[{e164: at}]", "0664 1234567", "+436641234567", true},
		{"e164 without region needs +", "[e164]", "0151 12345678", nil, false},
		{"e164 too short", "[{e164: DE}]", "123", nil, false},
		{"e164 letters", "[{e164: DE}]", "call me maybe", nil, false},
		{"e164 empty", "[{e164: DE}]", "", nil, false},
		{"e164 unicode digits", "[{e164: DE}]", "＋４９ １５１ １２３４５６７８", "+4915112345678", true},
		{"e164 not a string", "[{e164: DE}]", 4915112345678, nil, false},
		{"sha256", "[trim, lower, sha256]", " Jane@Example.com ", "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d", true},
		{"md5 is the Mailchimp subscriber hash", "[trim, lower, md5]", " Urist.McVankab@Freddiesjokes.com", "62eeb292278cc15f5817cb78f7790b08", true},
		{"date from OIDC birthdate", `[{date: "02.01.2006"}]`, "1990-04-01", "01.04.1990", true},
		{"date year only", "[{date: date}]", "1990", "1990-01-01", true},
		{"date rfc3339 to unix", "[{date: unix}]", "2025-01-01T09:00:00Z", int64(1735722000), true},
		{"date from time", "[{date: rfc3339}]", time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), "2025-01-01T09:00:00Z", true},
		{"date with input layout", `[{date: {from: "02/01/2006", to: date}}]`, "31/12/1999", "1999-12-31", true},
		{"date does not parse", "[{date: date}]", "next tuesday", nil, false},
		{"date empty", "[{date: date}]", "", nil, false},
		{"join skips empty", `[{join: " "}]`, []any{"Jane", "", nil, "Doe"}, "Jane Doe", true},
		{"join unicode", `[{join: " · "}]`, []any{"Zoë", "Ærø"}, "Zoë · Ærø", true},
		{"split trims", `[{split: ","}]`, "a, b ,c", []any{"a", "b", "c"}, true},
		{"split then index", `[{split: " "}, {index: -1}]`, "Jane Q Doe", "Doe", true},
		{"index out of range", `[{index: 5}]`, []any{"a"}, nil, false},
		{"first non-empty", "[first]", []any{"", nil, "b", "c"}, "b", true},
		{"first of nothing", "[first]", []any{"", nil}, nil, false},
		{"lookup table", "[{lookup: lang}]", "de-DE", "de", true},
		{"lookup miss is no value", "[{lookup: lang}]", "xx-XX", nil, false},
		{"lookup inline with bool keys", "[{lookup: {true: subscribed, false: unsubscribed}}]", false, "unsubscribed", true},
		{"bool from consent state", "[bool]", "granted", true, true},
		{"bool from no", "[bool]", "no", false, true},
		{"bool from number", "[bool]", 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := applyTransforms(t, tt.list, tt.in)
			if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("%s(%#v) = %#v, %v; want %#v, %v", tt.list, tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTransformErrors(t *testing.T) {
	tests := []struct{ list, want string }{
		{"[titlecase]", "unknown transform"},
		{"[{e164: Germany}]", "two-letter region"},
		{"[{trim: x}]", "takes no argument"},
		{"[{lookup: nope}]", `no table "nope" under lookups`},
		{"[{date: nonsense}]", "is not a date layout"},
		{"[{index: first}]", "must be an integer"},
		{"[{split: ''}]", "non-empty separator"},
		{"[[trim]]", "a transform is a name or {name: argument}"},
	}
	for _, tt := range tests {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tt.list), &n); err != nil {
			t.Fatal(err)
		}
		d := &diags{file: "t.yaml"}
		d.parseTransform(n.Content[0].Content[0], "transform", nil)
		if d.errs() == 0 || !strings.Contains(d.list[0].Error(), tt.want) {
			t.Errorf("%s: problems %v, want %q", tt.list, d.list, tt.want)
		}
	}
}
