package scim

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"reflect"
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
		configtest.Settings(t, tt.name, tt.in, tt.errField, DecodeSettings, CheckSettings, func(got Settings) bool { return reflect.DeepEqual(got, tt.want) })
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
		configtest.Secret(t, tt.name, tt.in, tt.errField, ParseCredentials, nil, secretValue)
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
