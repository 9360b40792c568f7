package webhook

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, ok := range []string{"a", "a.b", "data.user.id", "a[0]", "a[10].b", "a.b[0][1]", "a_b-c.$d"} {
		if p, err := ParsePath(ok); err != nil || p.String() != ok {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "[0]", "a[", "a[x]", "a[-1]", "a[+1]", "a[]", "a[0]b", "a]b", "a.[0]"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestLookup(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"data":{"user":{"id":"u1","tags":["a","b"],"emails":[{"v":"x"},{"v":"y"}],"none":null,"n":7}},"list":[[1,2],[3]]}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"data.user.id", "u1", true},
		{"data.user.tags[1]", "b", true},
		{"data.user.emails[1].v", "y", true},
		{"list[0][1]", 2.0, true},
		{"data.user.n", 7.0, true},
		{"data.user.tags", []any{"a", "b"}, true},
		{"data.user.none", nil, false},    // null is absent
		{"data.user.missing", nil, false}, // no such key
		{"data.user.tags[2]", nil, false}, // past the end
		{"data.user.id.x", nil, false},    // a key into a string
		{"data.user.tags.x", nil, false},  // a key into an array
		{"data.user[0]", nil, false},      // an index into an object
		{"data.user.id[0]", nil, false},   // an index into a string
		{"nothing.at.all[3]", nil, false},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Lookup(doc)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
