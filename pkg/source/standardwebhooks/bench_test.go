package standardwebhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

const benchSecret = "whsec_cHJvZmlsZXN5bmMtZmFrZS1jbGVyay1zaWduaW5nLWtleS0zMmIh"

// benchBody is a ~2 KB Clerk user.updated: the sample user with a second
// email, a phone, an external account and some metadata.
const benchBody = `{"data":{"id":"user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5","object":"user","username":"janedoe","first_name":"Jane","last_name":"Doe",` +
	`"image_url":"https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYvb2F1dGhfZ29vZ2xlL2ltZ18y","has_image":true,` +
	`"primary_email_address_id":"idn_2rX8kM0aB1cD2eF3gH4iJ5kL6","primary_phone_number_id":"idn_2rX8kP0aB1cD2eF3gH4iJ5kL9",` +
	`"email_addresses":[{"id":"idn_2rX8kM0aB1cD2eF3gH4iJ5kL6","object":"email_address","email_address":"jane.doe@example.com","linked_to":[{"id":"idn_2rX8kQ","type":"oauth_google"}],"verification":{"status":"verified","strategy":"email_code","attempts":1,"expire_at":1735726200000}},` +
	`{"id":"idn_2rX8kM0aB1cD2eF3gH4iJ5kL7","object":"email_address","email_address":"jane@work.example.com","linked_to":[],"verification":{"status":"unverified","strategy":"email_link","attempts":0,"expire_at":null}}],` +
	`"phone_numbers":[{"id":"idn_2rX8kP0aB1cD2eF3gH4iJ5kL9","object":"phone_number","phone_number":"+15555550100","reserved_for_second_factor":false,"default_second_factor":false,"linked_to":[],"verification":{"status":"verified","strategy":"phone_code","attempts":1,"expire_at":1735726200000}}],` +
	`"external_accounts":[{"id":"eac_2rX8kQ","object":"google_account","provider":"oauth_google","identification_id":"idn_2rX8kQ","provider_user_id":"101234567890123456789","approved_scopes":"email openid profile","email_address":"jane.doe@example.com","first_name":"Jane","last_name":"Doe","avatar_url":"https://lh3.googleusercontent.com/a/ACg8ocJ","username":null,"public_metadata":{},"label":null,"verification":{"status":"verified","strategy":"oauth_google","attempts":null,"expire_at":1735726200000}}],` +
	`"external_id":"crm-0035g00000XyZabAAB","public_metadata":{"tier":"gold","segments":["newsletter","beta"]},"private_metadata":{"stripe_customer":"cus_Q1w2E3r4"},` +
	`"unsafe_metadata":{"marketing_opt_in":true,"preferred_store":"berlin-mitte"},"password_enabled":true,"two_factor_enabled":false,"totp_enabled":false,"backup_code_enabled":false,` +
	`"banned":false,"locked":false,"created_at":1735725600000,"updated_at":1735812000000,"last_sign_in_at":1735800000000,"last_active_at":1735800000000},` +
	`"event_attributes":{"http_request":{"client_ip":"203.0.113.10","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}},` +
	`"instance_id":"ins_2abcDEF3ghiJKL4mnoPQR5stu","object":"event","timestamp":1735812000123,"type":"user.updated"}`

func BenchmarkParseStandardwebhooks(b *testing.B) {
	now := time.Unix(1735812000, 0)
	req := source.Request{Header: sign(b, benchSecret, "msg_2rX9", now.Unix(), benchBody), Body: []byte(benchBody), Now: now}
	p := mustParser(b, benchSecret)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorStandardwebhooks is the least any verifier must do: one
// HMAC-SHA256 over id.timestamp.body, one compare, one generic decode.
func BenchmarkFloorStandardwebhooks(b *testing.B) {
	now := time.Unix(1735812000, 0)
	h := sign(b, benchSecret, "msg_2rX9", now.Unix(), benchBody)
	key, _ := decodeSecret(benchSecret)
	body := []byte(benchBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(h.Get("svix-id") + "." + h.Get("svix-timestamp") + "."))
		m.Write(body)
		got, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h.Get("svix-signature"), "v1,"))
		if !hmac.Equal(got, m.Sum(nil)) {
			b.Fatal("signature")
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
