package registry

import (
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// The Fetchers the registry builds are what the claim verifier asserts to
// source.Updater: the platforms with a write-back are exactly these, and
// the registry hands out the adapter itself, not a wrapper hiding it.
func TestFetchersThatUpdate(t *testing.T) {
	tests := []struct {
		name, cfg string
		updates   bool
	}{
		{"cidaas", `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s"}`, true},
		{"akamai", `{"kind":"akamai","jwks_url":"https://j/login/jwk","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, true},
		{"clerk", `{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"api_url":"https://api.clerk.com","api_key":"sk"}`, true},
		{"auth0", `{"kind":"auth0","authorization":["0123456789abcdef"],"domain":"https://a.auth0.com","client_id":"c","client_secret":"s"}`, true},
		{"okta", `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`, true},
		{"keycloak", `{"kind":"keycloak","secret":"s","base_url":"https://sso.example.com","realm":"acme","client_id":"c","client_secret":"s"}`, true},
		{"logto", `{"kind":"logto","signing_key":"k","endpoint":"https://abc.logto.app","client_id":"c","client_secret":"s"}`, true},
		{"fusionauth", `{"kind":"fusionauth","hmac_keys":["0123456789abcdef0123456789abcdef"],"api_url":"https://auth.acme.com","api_key":"k"}`, true},
		{"scim", `{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t"}`, true},
		// Fetch puts no custom attributes in the profile, so nothing could
		// read a write-back.
		{"zitadel", `{"kind":"zitadel","signing_key":"k","api_url":"https://acme.zitadel.cloud","token":"t"}`, false},
		{"generic-fetch", `{"kind":"webhook","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"fetch_url":"https://idp.example.com/admin/identities/{subject}","fetch_fields":{"email":"traits.email"}}`, false},
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
		})
	}
}

// The backfill asserts source.Lister on a Fetcher: scim lists.
func TestFetchersThatList(t *testing.T) {
	_, f, err := New("scim", []byte(`{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(source.Lister); !ok {
		t.Fatalf("%T is no Lister", f)
	}
}
