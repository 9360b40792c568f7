package generic

import (
	"github.com/profilesync/profilesync/pkg/connector/internal/configtest"
	"strings"
	"testing"
)

func validSettings() map[string]any {
	return map[string]any{
		"auth": "hmac",
		"requests": map[string]any{
			"created": map[string]any{"method": "POST", "path": "/contacts"},
			"upsert":  map[string]any{"method": "put", "path": "/contacts/{key}"},
			"deleted": map[string]any{"method": "DELETE", "path": "/contacts/{key}"},
		},
		"headers": map[string]any{"X-Tenant": "acme"},
	}
}

func TestDecodeSettings(t *testing.T) {
	s, err := DecodeSettings(validSettings())
	if err != nil {
		t.Fatal(err)
	}
	if s.HMACHeader != DefaultHMACHeader || s.Requests["upsert"].Method != "PUT" {
		t.Fatalf("defaults not applied: %+v", s)
	}
	tests := []struct {
		name     string
		edit     func(m map[string]any)
		errField string
	}{
		{"bad auth", func(m map[string]any) { m["auth"] = "oauth" }, `"auth"`},
		{"no delete route", func(m map[string]any) { delete(req(m), "deleted") }, `deleted events`},
		{"no fallback", func(m map[string]any) { delete(req(m), "upsert") }, `updated events`},
		{"bad method", func(m map[string]any) { req(m)["created"].(map[string]any)["method"] = "GET" }, `"requests.created.method"`},
		{"delete with PUT", func(m map[string]any) { req(m)["deleted"].(map[string]any)["method"] = "PUT" }, `"requests.deleted.method"`},
		{"relative path", func(m map[string]any) { req(m)["created"].(map[string]any)["path"] = "contacts" }, `"requests.created.path"`},
		{"unknown placeholder", func(m map[string]any) { req(m)["upsert"].(map[string]any)["path"] = "/c/{email}" }, `{email}`},
		{"unbalanced brace", func(m map[string]any) { req(m)["upsert"].(map[string]any)["path"] = "/c/{key" }, `"requests.upsert.path"`},
		{"managed header", func(m map[string]any) { m["headers"] = map[string]any{"authorization": "x"} }, `"headers.authorization"`},
		{"hmac header as extra", func(m map[string]any) { m["headers"] = map[string]any{"X-ProfileSync-Signature": "x"} }, `"headers.X-ProfileSync-Signature"`},
		{"header value type", func(m map[string]any) { m["headers"] = map[string]any{"X-N": 1} }, `"headers.X-N"`},
		{"bad hmac header", func(m map[string]any) { m["hmac_header"] = "X Sig" }, `"hmac_header"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validSettings()
			tt.edit(m)
			err := CheckSettings(m)
			if err == nil || !strings.Contains(err.Error(), tt.errField) {
				t.Fatalf("CheckSettings = %v, want an error naming %s", err, tt.errField)
			}
		})
	}
}

func req(m map[string]any) map[string]any { return m["requests"].(map[string]any) }

func TestParseCredentials(t *testing.T) {
	const secretValue = "hunter2-secret"
	tests := []struct {
		name     string
		auth     AuthMode
		in       string
		errField string
	}{
		{"bearer ok", AuthBearer, `{"base_url":"https://api.example.com","token":"` + secretValue + `"}`, ""},
		{"bearer without token", AuthBearer, `{"base_url":"https://api.example.com"}`, `"token"`},
		{"basic without password", AuthBasic, `{"base_url":"https://api.example.com","username":"u"}`, `"password"`},
		{"hmac without secret", AuthHMAC, `{"base_url":"https://api.example.com","token":"t"}`, `"hmac_secret"`},
		{"none needs only base_url", AuthNone, `{"base_url":"http://localhost:8080/api"}`, ""},
		{"relative base_url", AuthNone, `{"base_url":"api.example.com"}`, `"base_url"`},
	}
	for _, tt := range tests {
		parse := func(b []byte) (Credentials, error) { // and the auth mode's own fields
			c, err := ParseCredentials(b)
			if err == nil {
				err = c.CheckAuth(tt.auth)
			}
			return c, err
		}
		configtest.Secret(t, tt.name, tt.in, tt.errField, parse, nil, secretValue)
	}
}
