package spec

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

var testFields = []Field{
	{Name: "name", Type: String, Required: true, Description: "The name."},
	{Name: "mode", Type: String, Enum: []string{"put", "patch"}, Default: "put"},
	{Name: "size", Type: Int, Default: 75},
	{Name: "on", Type: Bool},
	{Name: "tags", Type: StringList, Default: []string{"a"}},
	{Name: "ids", Type: IntList},
	{Name: "headers", Type: StringMap},
	{Name: "auth", Type: Object, Fields: []Field{{Name: "user", Type: String, Required: true}}},
	{Name: "requests", Type: ObjectMap, Keys: []string{"upsert", "deleted"}, Fields: []Field{
		{Name: "method", Type: String, Required: true, Enum: []string{"PUT", "DELETE"}},
		{Name: "path", Type: String},
	}},
}

type testStruct struct {
	Name     string            `json:"name"`
	Mode     string            `json:"mode"`
	Size     int               `json:"size"`
	On       bool              `json:"on"`
	Tags     []string          `json:"tags"`
	IDs      []int64           `json:"ids"`
	Headers  map[string]string `json:"headers"`
	Auth     struct{ User string }
	Requests map[string]struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"requests"`
}

func TestDecodeDefaults(t *testing.T) {
	var s testStruct
	in := map[string]any{"name": "n", "ids": []any{1, 2.0, json.Number("3")}, "requests": map[string]any{"upsert": map[string]any{"method": "PUT"}}}
	if err := Decode(testFields, in, &s); err != nil {
		t.Fatal(err)
	}
	if s.Mode != "put" || s.Size != 75 || !slices.Equal(s.Tags, []string{"a"}) || !slices.Equal(s.IDs, []int64{1, 2, 3}) || s.Requests["upsert"].Method != "PUT" {
		t.Fatalf("decoded %+v", s)
	}
}

func TestDecodeErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name string
		in   map[string]any
		path string // the error's path
	}{
		{"unknown key", map[string]any{"name": "n", "nmae": secret}, "nmae"},
		{"missing required", map[string]any{}, "name"},
		{"empty required", map[string]any{"name": ""}, "name"},
		{"wrong type", map[string]any{"name": 12345}, "name"},
		{"bad enum", map[string]any{"name": "n", "mode": secret}, "mode"},
		{"not whole", map[string]any{"name": "n", "size": 1.5}, "size"},
		{"bool", map[string]any{"name": "n", "on": "yes"}, "on"},
		{"list element", map[string]any{"name": "n", "tags": []any{"a", 7}}, "tags[1]"},
		{"int list element", map[string]any{"name": "n", "ids": []any{secret}}, "ids[0]"},
		{"map value", map[string]any{"name": "n", "headers": map[string]any{"X-A": 1}}, "headers.X-A"},
		{"object key", map[string]any{"name": "n", "auth": map[string]any{"user": "u", "pw": secret}}, "auth.pw"},
		{"object required", map[string]any{"name": "n", "auth": map[string]any{}}, "auth.user"},
		{"object map name", map[string]any{"name": "n", "requests": map[string]any{"create": map[string]any{}}}, "requests.create"},
		{"object map entry", map[string]any{"name": "n", "requests": map[string]any{"upsert": "PUT"}}, "requests.upsert"},
		{"object map enum", map[string]any{"name": "n", "requests": map[string]any{"upsert": map[string]any{"method": "GET"}}}, "requests.upsert.method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testStruct
			err := Decode(testFields, tt.in, &s)
			var se *Error
			if !errors.As(err, &se) || se.Path.String() != tt.path {
				t.Fatalf("Decode = %v, want an *Error at %s", err, tt.path)
			}
			if !strings.Contains(err.Error(), `"`+tt.path+`"`) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345") {
				t.Fatalf("message %q: want the field named and no value quoted", err)
			}
		})
	}
}

func TestDecodeJoinsAll(t *testing.T) {
	var s testStruct
	err := Decode(testFields, map[string]any{"bogus": 1, "mode": "x"}, &s)
	if got := len(Leaves(err)); got != 3 {
		t.Fatalf("Decode = %v: %d errors, want 3 (unknown, required, enum)", err, got)
	}
}

func TestDecodeJSON(t *testing.T) {
	fields := []Field{{Name: "token", Type: String, Required: true}}
	var v struct {
		Token string `json:"token"`
	}
	for in, want := range map[string]string{
		`{"token":"t"}`:          "",
		`{"token": 12345678}`:    `field "token": want a string`,
		`token=s3cr3t`:           "not valid JSON (at byte",
		`["s3cr3t"]`:             "want a JSON object",
		`{"token":"t"} {"x":1}`:  "trailing data",
		`{"token":"t","pw":"x"}`: `field "pw": unknown`,
	} {
		err := DecodeJSON(fields, []byte(in), &v)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("DecodeJSON(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestSchema(t *testing.T) {
	s := Schema(testFields)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"additionalProperties":false`, `"required":["name"]`, `"enum":["put","patch"]`, `"default":75`, `"description":"The name."`, `"deleted":{`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("schema lacks %s: %s", want, b)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown("Setting", testFields)
	for _, want := range []string{"| `name` | string | required | The name. |", "| `mode` | string | `put` | One of `put`, `patch`. |", "| `requests.<name>.method` |", "| `tags` | list of strings | `a` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

func TestValidate(t *testing.T) {
	err := Validate(testFields[:3], struct {
		Name string `json:"name"`
		Mode string `json:"mode"`
		Size int    `json:"size"`
	}{Mode: "bogus"})
	if got := len(Leaves(err)); got != 2 || !strings.Contains(err.Error(), `"name": required`) || !strings.Contains(err.Error(), `"mode": not one of`) {
		t.Fatalf("Validate = %v, want name required and mode not one of", err)
	}
	if err := Validate(testFields[:3], struct {
		Name string `json:"name"`
	}{Name: "n"}); err != nil {
		t.Fatal(err)
	}
}
