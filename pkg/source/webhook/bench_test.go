package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchBody is a ~2 KB Kratos settings.after hook whose template also
// sends the identity's addresses and a dozen public metadata keys.
func benchBody() []byte {
	var meta []string
	for i := range 12 {
		meta = append(meta, fmt.Sprintf(`"attr_%02d":"value-%02d-abcdefghijklmnop"`, i, i))
	}
	return []byte(`{"event":"settings.after","flow_id":"3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",` +
		`"identity_id":"6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918","schema_id":"customer","state":"active",` +
		`"traits":{"email":"jane.doe@example.com","name":{"first":"Jane","last":"Doe"},"consents":{"newsletter":true},` +
		`"phone":"+4915100000000","address":{"city":"Berlin","zip":"10115","country":"DE"}},` +
		`"verifiable_addresses":[{"id":"a1","value":"jane.doe@example.com","verified":true,"via":"email","status":"completed"}],` +
		`"recovery_addresses":[{"id":"r1","value":"jane.doe@example.com","via":"email"}],` +
		`"metadata_public":{` + strings.Join(meta, ",") + `},"verified_email":true,"updated_at":"2025-01-01T10:05:00.500Z"}`)
}

func benchConfig(b *testing.B, auth string) Config {
	c := kratosConfig(b)
	c.Fields["phone_number"] = "traits.phone"
	c.Fields["address.locality"] = "traits.address.city"
	c.Fields["address.postal_code"] = "traits.address.zip"
	c.Fields["address.country"] = "traits.address.country"
	c.Fields["custom.attr_03"] = "metadata_public.attr_03"
	if auth == AuthHMAC {
		c.Auth, c.Header = AuthHMAC, "X-Signature"
	}
	return c
}

func benchParse(b *testing.B, auth string, headers ...string) {
	body := benchBody()
	p := mustParser(b, benchConfig(b, auth))
	req := request(body, headers...)
	if evs, err := p.Parse(context.Background(), req); err != nil || len(evs) != 1 || evs[0].Profile.Address == nil {
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

func BenchmarkParseWebhookAPIKey(b *testing.B) {
	benchParse(b, AuthAPIKey, "X-Webhook-Secret", kratosKey)
}

func BenchmarkParseWebhookHMAC(b *testing.B) {
	benchParse(b, AuthHMAC, "X-Signature", Signature(kratosKey, "", benchBody(), ""))
}

// BenchmarkFloorWebhookAPIKey is the least any API key source must do:
// one constant-time compare and one generic decode of the body.
func BenchmarkFloorWebhookAPIKey(b *testing.B) {
	body := benchBody()
	got := []byte(kratosKey)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if subtle.ConstantTimeCompare(got, []byte(kratosKey)) != 1 {
			b.Fatal("key")
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorWebhookHMAC: one HMAC-SHA256 over the body, one compare,
// one generic decode.
func BenchmarkFloorWebhookHMAC(b *testing.B) {
	body := benchBody()
	sig := Signature(kratosKey, "", body, "")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, _ := hex.DecodeString(sig)
		m := hmac.New(sha256.New, []byte(kratosKey))
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
