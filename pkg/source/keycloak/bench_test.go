package keycloak

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const benchSecret = "keycloak-bench-secret-0123456789"

// benchBody is a ~2 KB admin.USER-UPDATE with its representation (an
// admin's full PUT with a dozen attributes), the largest user event
// phasetwo sends.
func benchBody() string {
	var attrs []string
	for i := range 12 {
		attrs = append(attrs, fmt.Sprintf(`\"attr_%02d\":[\"value-%02d-abcdefghijklmnop\"]`, i, i))
	}
	rep := `{\"id\":\"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a\",\"username\":\"jane.doe\",\"email\":\"jane.doe@example.com\",` +
		`\"firstName\":\"Jane\",\"lastName\":\"Doe\",\"enabled\":true,\"emailVerified\":true,\"attributes\":{` + strings.Join(attrs, ",") + `}}`
	return `{"time":1735725600123,"realmId":"acme","uid":"0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",` +
		`"authDetails":{"realmId":"master","clientId":"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d","userId":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","ipAddress":"198.51.100.7","username":"admin"},` +
		`"type":"admin.USER-UPDATE","resourceType":"USER","operationType":"UPDATE","resourcePath":"users/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",` +
		`"representation":"` + rep + `","details":{"userId":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","username":"jane.doe"}}`
}

func BenchmarkParseKeycloak(b *testing.B) {
	body := benchBody()
	req := signed(benchSecret, "", body)
	p := mustParser(b, testConfig(benchSecret, ""))
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 1 {
		b.Fatalf("%v %v", evs, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorKeycloak is the least any verifier must do: one
// HMAC-SHA256 over the body, one compare, one generic decode.
func BenchmarkFloorKeycloak(b *testing.B) {
	body := []byte(benchBody())
	sig := Signature(benchSecret, "", body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, _ := hex.DecodeString(sig)
		m := hmac.New(sha256.New, []byte(benchSecret))
		m.Write(body)
		if !hmac.Equal(got, m.Sum(nil)) {
			b.Fatal("signature")
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
