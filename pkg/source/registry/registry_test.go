package registry

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestKinds(t *testing.T) {
	if got := Kinds(); !reflect.DeepEqual(got, []string{"akamai", "auth0", "cidaas", "cognito", "entra", "fusionauth", "gigya", "keycloak", "logto", "okta", "scim", "ssf", "standardwebhooks", "webhook", "zitadel"}) {
		t.Fatal(got)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, cfg   string
		wantErr     []string
		wantFetcher bool
	}{
		{name: "cidaas", cfg: `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "akamai", cfg: `{"kind":"akamai","jwks_url":"https://j/login/jwk","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "clerk", cfg: `{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}`},
		{name: "clerk-api", cfg: `{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],"api_url":"https://api.clerk.com","api_key":"sk"}`, wantFetcher: true},
		{name: "keycloak", cfg: `{"kind":"keycloak","secret":"s","base_url":"https://sso.example.com","realm":"acme","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "zitadel", cfg: `{"kind":"zitadel","signing_key":"k","api_url":"https://acme.zitadel.cloud","token":"t"}`, wantFetcher: true},
		{name: "logto", cfg: `{"kind":"logto","signing_key":"k","endpoint":"https://abc.logto.app","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "generic", cfg: `{"kind":"webhook","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"}}`},
		{name: "generic-fetch", cfg: `{"kind":"webhook","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"fetch_url":"https://idp.example.com/admin/identities/{subject}","fetch_fields":{"email":"traits.email"}}`, wantFetcher: true},
		{name: "fusionauth", cfg: `{"kind":"fusionauth","hmac_keys":["0123456789abcdef0123456789abcdef"],"api_url":"https://auth.acme.com","api_key":"k"}`, wantFetcher: true},
		{name: "fusionauth-jwks", cfg: `{"kind":"fusionauth","jwks_url":"https://auth.acme.com/.well-known/jwks.json","api_url":"https://auth.acme.com","api_key":"k"}`, wantFetcher: true},
		{name: "ssf", cfg: `{"kind":"ssf","jwks_url":"https://idp.example.com/jwks","issuer":"https://idp.example.com/","audience":"https://a/webhooks/ssf"}`},
		{name: "scim", cfg: `{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t"}`, wantFetcher: true},
		{name: "scim-fetch-url", cfg: `{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t","fetch_url":"https://idp.example.com/u/{subject}"}`, wantErr: []string{"source scim-fetch-url: ", `"fetch_url": unknown`}},
		{name: "scim-page", cfg: `{"kind":"scim","auth":"apikey","secrets":["0123456789abcdef"],"subject_path":"id","type_path":"event","event_types":{"e":"updated"},"base_url":"https://idp.example.com/scim/v2","token":"t","page_size":5000,"extension":"profilesync"}`, wantErr: []string{`"page_size"`, `"extension"`}},
		{name: "cognito", cfg: `{"kind":"cognito","user_pool_id":"eu-central-1_AbCdEfGhI"}`, wantFetcher: true},
		{name: "nokind", cfg: `{}`, wantErr: []string{"source nokind: ", `"kind"`}},
		{name: "okta", cfg: `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`, wantFetcher: true},
		{name: "auth0", cfg: `{"kind":"auth0","authorization":["0123456789abcdef"],"domain":"https://a.auth0.com","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "entra", cfg: `{"kind":"entra","client_states":["0123456789abcdef"],"tenant_id":"contoso.onmicrosoft.com","client_id":"c","client_secret":"s"}`, wantFetcher: true},
		{name: "gigya", cfg: `{"kind":"gigya","api_key":"4_x","data_center":"eu1","user_key":"u","secret":"cHJvZmlsZXN5bmMtZGV2LWdpZ3lhLXNlY3JldCEh"}`, wantFetcher: true},
		{name: "badkind", cfg: `{"kind":"nosuchciam"}`, wantErr: []string{"source badkind: ", `"nosuchciam"`}},
		{name: "notjson", cfg: `nope`, wantErr: []string{"source notjson: "}},
		{name: "missing", cfg: `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c"}`, wantErr: []string{"source missing: ", `"client_secret"`}},
		{name: "unknown", cfg: `{"kind":"akamai","jwks_url":"https://j","issuer":"i","audience":"a","capture_url":"https://c","client_id":"c","client_secret":"s","extra":1}`, wantErr: []string{"source unknown: ", `"extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f, err := New(tt.name, []byte(tt.cfg), nil)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("want error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%v does not name %s", err, w)
					}
				}
				return
			}
			if err != nil || p == nil {
				t.Fatalf("%v", err)
			}
			if (f != nil) != tt.wantFetcher {
				t.Fatalf("fetcher = %v, want present=%v", f, tt.wantFetcher)
			}
		})
	}
}

// A bad secret reads once: which source, which field; not the source's
// name twice and not the JSON decoder's text.
func TestBuildAllErrorReadsOnce(t *testing.T) {
	secrets := secretMap{"cidaas": `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s","bogus":1}`}
	_, _, err := BuildAll(t.Context(), []string{"cidaas"}, secrets, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `source cidaas: field "bogus": unknown (want one of kind,`) || strings.Count(err.Error(), "cidaas") != 1 {
		t.Fatalf("BuildAll = %v, want `source cidaas: field \"bogus\": unknown (want one of …)`", err)
	}
}

// Every platform has a Spec under its own kind.
func TestSpecs(t *testing.T) {
	for _, s := range Specs() {
		k, ok := Lookup(s.Kind)
		if !ok || k.Spec.Kind != s.Kind || len(s.Secret) == 0 || s.Summary == "" {
			t.Errorf("%s: Lookup = %v, %v", s.Kind, k.Spec.Kind, ok)
		}
	}
}

type secretMap map[string]string

func (m secretMap) Secret(_ context.Context, name string) ([]byte, error) {
	return []byte(m[name]), nil
}

// Every kind's config names its environment under one key, which jobs
// read to give their events the source's environment.
func TestEnvironment(t *testing.T) {
	for raw, want := range map[string]string{
		`{"environment":"prod","client_id":"x"}`: "prod",
		`{"client_id":"x"}`:                      "",
		`not json`:                               "",
	} {
		if got := Environment([]byte(raw)); got != want {
			t.Errorf("Environment(%s) = %q, want %q", raw, got, want)
		}
	}
}

// listing holds exactly the platforms whose fetchers list: a lister left
// out could not be a job's source, and the jobs function would link a
// platform that cannot be one.
func TestListing(t *testing.T) {
	for name, k := range kinds() {
		if _, in := listing()[name]; in != k.lists {
			t.Errorf("%s: fetcher lists %v, in listing %v", name, k.lists, in)
		}
	}
	if len(listing()) == 0 || len(listing()) == len(kinds()) {
		t.Errorf("listing has %d of %d kinds", len(listing()), len(kinds()))
	}
}

// BuildListers builds the sources of listing kinds whose fetchers list,
// and leaves the others unbuilt; a broken secret of a listing kind fails.
func TestBuildListers(t *testing.T) {
	secrets := mapSecrets{
		"cidaas":  `{"kind":"cidaas","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s"}`,
		"clerk":   `{"kind":"standardwebhooks","secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}`, // no API: no lister
		"okta":    `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`,
		"broken":  `{"kind":"cidaas"}`,
		"unknown": `{"kind":"nope"}`,
	}
	got, err := BuildListers(context.Background(), []string{"cidaas", "clerk", "okta", "unknown"}, secrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["cidaas"] == nil {
		t.Errorf("listers %v, want cidaas only", got)
	}
	if _, err := BuildListers(context.Background(), []string{"broken"}, secrets, nil); err == nil || !strings.Contains(err.Error(), "source broken: ") {
		t.Errorf("broken cidaas secret: %v", err)
	}
}

type mapSecrets map[string]string

func (m mapSecrets) Secret(_ context.Context, name string) ([]byte, error) {
	return []byte(m[name]), nil
}
