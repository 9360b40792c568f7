package logto

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

const benchKey = "logto-bench-signing-key-0123456789"

// benchBody is a ~2 KB User.Data.Updated: the sample's user with a full
// OIDC profile, an address and a dozen customData keys.
func benchBody() string {
	var custom []string
	for i := range 12 {
		custom = append(custom, fmt.Sprintf(`"field_%02d":"value-%02d-abcdefghijklmnopqrstuvwx"`, i, i))
	}
	return `{"hookId":"hk_7f3a9c2e1b","event":"User.Data.Updated","createdAt":"2025-01-01T10:05:00.500Z","userAgent":"Mozilla/5.0 (Macintosh)",` +
		`"ip":"198.51.100.7","path":"/users/u7x3k9p2q1wz","method":"PATCH","status":200,"params":{"userId":"u7x3k9p2q1wz"},"matchedRoute":"/users/:userId",` +
		`"data":{"id":"u7x3k9p2q1wz","username":"janedoe","primaryEmail":"jane.doe@example.com","primaryPhone":"4915112345678","name":"Jane Doe",` +
		`"avatar":"https://img.example.com/u7x3k9p2q1wz.png","customData":{` + strings.Join(custom, ",") + `},"identities":{},` +
		`"profile":{"givenName":"Jane","familyName":"Doe","locale":"de-DE","birthdate":"1990-04-01","address":{"streetAddress":"Hauptstr. 1",` +
		`"locality":"Berlin","postalCode":"10115","country":"DE"}},"applicationId":"app9k2m4n6p8","isSuspended":false,` +
		`"lastSignInAt":1735725700000,"createdAt":1735725600000,"updatedAt":1735725900500}}`
}

func BenchmarkParseLogto(b *testing.B) {
	body := benchBody()
	req := signed(benchKey, body)
	p := mustParser(b, benchKey)
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 1 || evs[0].Profile == nil {
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

// BenchmarkFloorLogto is the least any verifier must do: one HMAC-SHA256
// over the body, one compare, one generic decode.
func BenchmarkFloorLogto(b *testing.B) {
	body := []byte(benchBody())
	sig := Signature(benchKey, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, _ := hex.DecodeString(sig)
		m := hmac.New(sha256.New, []byte(benchKey))
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
