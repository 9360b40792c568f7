package scim

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name     string
		in       map[string]any
		want     Settings
		errField string
	}{
		{"defaults", nil, Settings{Endpoint: "/Users", Schemas: []string{SchemaUser}, Mode: ModePut}, ""},
		{"patch with extension", map[string]any{"mode": "patch", "endpoint": "/Users", "schemas": []any{SchemaUser, SchemaEnterprise}, "deactivate_on_delete": true},
			Settings{Endpoint: "/Users", Schemas: []string{SchemaUser, SchemaEnterprise}, Mode: ModePatch, DeactivateOnDelete: true}, ""},
		{"relative endpoint", map[string]any{"endpoint": "Users"}, Settings{}, `"endpoint"`},
		{"endpoint with query", map[string]any{"endpoint": "/Users?x=1"}, Settings{}, `"endpoint"`},
		{"endpoint escaping", map[string]any{"endpoint": "/../admin"}, Settings{}, `"endpoint"`},
		{"bad schema", map[string]any{"schemas": []any{"User"}}, Settings{}, `"schemas[0]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSettings(tt.in)
			if tt.errField == "" {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("DecodeSettings = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("error = %v, want one naming %s", err, tt.errField)
			}
			if CheckSettings(tt.in) == nil {
				t.Fatal("CheckSettings accepted what DecodeSettings refused")
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	const secretValue = "s3cr3t-value"
	tests := []struct{ name, in, errField string }{
		{"bearer", `{"base_url":"https://app.example.com/scim/v2","token":"` + secretValue + `"}`, ""},
		{"basic", `{"base_url":"https://app.example.com/scim/v2","username":"svc","password":"pw"}`, ""},
		{"both", `{"base_url":"https://a.example","token":"t","username":"svc","password":"pw"}`, `"token"`},
		{"neither", `{"base_url":"https://a.example"}`, `"token"`},
		{"basic without password", `{"base_url":"https://a.example","username":"svc"}`, `"password"`},
		{"relative url", `{"base_url":"app.example.com","token":"t"}`, `"base_url"`},
		{"not json", `token=` + secretValue, "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredentials([]byte(tt.in))
			if tt.errField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("error = %v, want one naming %s", err, tt.errField)
			}
			if strings.Contains(err.Error(), secretValue) || strings.Contains(err.Error(), "12345678") {
				t.Fatalf("error %q quotes a secret value", err)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	if _, err := Build("s", map[string]any{"mode": "patch"}, []byte(`{"base_url":"https://a.example","token":"t"}`), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Build("s", map[string]any{"mode": "x"}, []byte(`{"base_url":"https://a.example","token":"t"}`), nil); err == nil {
		t.Fatal("bad settings accepted")
	}
}
