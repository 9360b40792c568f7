package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// The Fetchers the registry builds are what the claim verifier asserts to
// source.Updater, and the backfill to source.Lister: the platforms with a
// write-back and with a list are exactly these, and the registry hands
// out the adapter itself, not a wrapper hiding it.
func TestFetchersThatUpdateAndList(t *testing.T) {
	tests := []struct {
		name, cfg      string
		updates, lists bool
	}{
		{"cidaas", `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s"}`, true, true},
		{"akamai", `{"kind":"akamai","jwks_url":"https://j/login/jwk","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, true, true},
		{"clerk", `{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"api_url":"https://api.clerk.com","api_key":"sk"}`, true, true},
		{"auth0", `{"kind":"auth0","authorization":["0123456789abcdef"],"domain":"https://a.auth0.com","client_id":"c","client_secret":"s"}`, true, false},
		{"okta", `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`, true, false},
		{"keycloak", `{"kind":"keycloak","secret":"s","base_url":"https://sso.example.com","realm":"acme","client_id":"c","client_secret":"s"}`, true, false},
		{"logto", `{"kind":"logto","signing_key":"k","endpoint":"https://abc.logto.app","client_id":"c","client_secret":"s"}`, true, false},
		{"fusionauth", `{"kind":"fusionauth","hmac_keys":["0123456789abcdef0123456789abcdef"],"api_url":"https://auth.acme.com","api_key":"k"}`, true, false},
		{"gigya", `{"kind":"gigya","api_key":"4_x","data_center":"eu1","user_key":"u","secret":"cHJvZmlsZXN5bmMtZGV2LWdpZ3lhLXNlY3JldCEh"}`, true, true},
		{"okta-oauth", `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","client_id":"0oa1","private_key":"` + ecKeyPEM + `"}`, true, false},
		{"scim", `{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t"}`, true, true},
		{"entra", `{"kind":"entra","client_states":["0123456789abcdef"],"tenant_id":"contoso.onmicrosoft.com","client_id":"c","client_secret":"s"}`, true, true},
		{"cognito", `{"kind":"cognito","user_pool_id":"eu-central-1_AbCdEfGhI"}`, true, true},
		// Fetch puts no custom attributes in the profile, so nothing could
		// read a write-back.
		{"zitadel", `{"kind":"zitadel","signing_key":"k","api_url":"https://acme.zitadel.cloud","token":"t"}`, false, false},
		{"generic-fetch", `{"kind":"webhook","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"fetch_url":"https://idp.example.com/admin/identities/{subject}","fetch_fields":{"email":"traits.email"}}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, f, err := New(tt.name, []byte(tt.cfg), nil)
			if err != nil || f == nil {
				t.Fatalf("fetcher %v, %v", f, err)
			}
			if _, ok := f.(source.Updater); ok != tt.updates {
				t.Fatalf("%T is an Updater: %v, want %v", f, ok, tt.updates)
			}
			if _, ok := f.(source.Lister); ok != tt.lists {
				t.Fatalf("%T is a Lister: %v, want %v", f, ok, tt.lists)
			}
		})
	}
}

// ecKeyPEM is a P-256 key made for the test, JSON-escaped.
var ecKeyPEM = func() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	b, _ := json.Marshal(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	return strings.Trim(string(b), `"`)
}()
