// Package sandbox assembles the fakes of the CIAM and back-end APIs into
// the local stack's sandbox: one handler serving every fake under
// /sandbox/<name>/, the development credentials that unlock them, and the
// demo profiles the CIAM fakes hold, so a newcomer can watch a webhook
// become a Salesforce Contact without any account anywhere.
//
// The fakes live in the packages below (one per API) and follow the
// vendors' public documentation; tests use them directly.
package sandbox

import (
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/sandbox/auth0"
	"github.com/profilesync/profilesync/pkg/sandbox/braze"
	"github.com/profilesync/profilesync/pkg/sandbox/brevo"
	"github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/sandbox/entra"
	"github.com/profilesync/profilesync/pkg/sandbox/fusionauth"
	"github.com/profilesync/profilesync/pkg/sandbox/generic"
	"github.com/profilesync/profilesync/pkg/sandbox/gigya"
	"github.com/profilesync/profilesync/pkg/sandbox/hubspot"
	"github.com/profilesync/profilesync/pkg/sandbox/keycloak"
	"github.com/profilesync/profilesync/pkg/sandbox/logto"
	"github.com/profilesync/profilesync/pkg/sandbox/mailchimp"
	"github.com/profilesync/profilesync/pkg/sandbox/npi"
	"github.com/profilesync/profilesync/pkg/sandbox/okta"
	"github.com/profilesync/profilesync/pkg/sandbox/salesforce"
	"github.com/profilesync/profilesync/pkg/sandbox/scim"
	"github.com/profilesync/profilesync/pkg/sandbox/vies"
	"github.com/profilesync/profilesync/pkg/sandbox/zitadel"
	"github.com/profilesync/profilesync/pkg/sandbox/zuora"
)

// Prefix is where the local stack mounts the sandbox.
const Prefix = "/sandbox"

// Development credentials. They unlock nothing but these in-process fakes;
// `profilesync send` signs with them and events/ samples are signed with
// them. Real credentials live in Secrets Manager, never in code.
const (
	DevClientID       = "profilesync-dev"
	DevClientSecret   = "profilesync-dev-client-secret"
	DevCidaasAPIKey   = "profilesync-dev-cidaas-apikey"
	DevWebhookHMACKey = "profilesync-dev-webhook-hmac-key"
	DevHubSpotToken   = "pat-profilesync-dev"
	DevBrevoAPIKey    = "xkeysib-profilesync-dev"
	DevMailchimpKey   = "profilesyncdev0000000000000000000-us1"
	DevMailchimpList  = "a1b2c3d4e5"
	DevBrazeAPIKey    = "profilesync-dev-braze-key"
	DevSCIMToken      = "profilesync-dev-scim-token"
	DevZuoraAccount   = "A00000001"
	// DevOktaHookSecret is the "okta" source's Event Hook header value;
	// DevOktaAPIToken unlocks the Okta fake's Users API.
	DevOktaHookSecret = "profilesync-dev-okta-hook-secret"
	DevOktaAPIToken   = "00profilesync-dev-okta-api-token"
	// DevAuth0Authorization is the "auth0" source's stream Authorization
	// header value, as typed in the Auth0 dashboard.
	DevAuth0Authorization = "Bearer profilesync-dev-auth0-stream-token"
	// DevKeycloakSecret signs the "keycloak" source's webhooks (phasetwo's
	// X-Keycloak-Signature); DevKeycloakRealm is the fake's realm.
	DevKeycloakSecret = "profilesync-dev-keycloak-webhook-secret"
	DevKeycloakRealm  = "profilesync"
	// DevZitadelKey signs the "zitadel" source's events; DevZitadelPAT
	// reads users from the fake.
	DevZitadelKey = "profilesync-dev-zitadel-signing-key"
	DevZitadelPAT = "profilesync-dev-zitadel-pat"
	// DevLogtoKey signs the "logto" source's webhooks; DevLogtoResource
	// is the fake's Management API indicator (self-hosted Logto's).
	DevLogtoKey      = "profilesync-dev-logto-signing-key"
	DevLogtoResource = "https://default.logto.app/api"
	// DevGenericAPIKey is the "generic" source's API key (a Kratos web
	// hook's api_key auth, sent in X-Webhook-Secret).
	DevGenericAPIKey = "profilesync-dev-generic-api-key"
	// DevFusionAuthKey is the "fusionauth" source's HMAC signing key (kid
	// DevFusionAuthKID); DevFusionAuthAPIKey reads users from the fake.
	DevFusionAuthKey    = "profilesync-dev-fusionauth-hmac-signing-key"
	DevFusionAuthKID    = "profilesync-dev-fusionauth"
	DevFusionAuthAPIKey = "profilesync-dev-fusionauth-api-key"
	// DevEntraClientState is the "entra" source's Graph subscription
	// clientState; DevEntraTenant is the fake's tenant, whose app
	// registration is DevClientID with DevClientSecret.
	DevEntraClientState = "profilesync-dev-entra-client-state"
	DevEntraTenant      = "0e1d2c3b-4a59-4687-a5b4-c3d2e1f0a9b8"
	// DevGigyaAPIKey is the "gigya" source's site; DevGigyaUserKey and
	// DevGigyaSecret (base64, as SAP's console shows it) read its accounts
	// and sign its webhooks (X-Gigya-Sig-Hmac-Sha1).
	DevGigyaAPIKey  = "4_profilesyncDevSite"
	DevGigyaUserKey = "profilesync-dev-gigya-user-key"
	DevGigyaSecret  = "cHJvZmlsZXN5bmMtZGV2LWdpZ3lhLXNlY3JldCEh"
	// DevClaimsAPIKey is a development caller's key of POST /claims/verify
	// (the claims-api secret's callers.<name>.api_key).
	DevClaimsAPIKey = "profilesync-dev-claims-api-key"
	// DevSSFAuthorization is the "ssf" source's stream authorization_header
	// value. Its SETs are signed with devkey.pem, whose JWKS the Akamai
	// fake serves: the sandbox's one throwaway transmitter key.
	DevSSFAuthorization = "Bearer profilesync-dev-ssf-stream-token"
	// DevAkamaiKID names devkey.pem, a throwaway RSA key (the public
	// research test vector's) the Akamai fake signs SETs with.
	DevAkamaiKID = "3f9c2a7d4e1b8c6a0f5d2e9b7a1c4d8e6f0a2b3c"
)

// DevClerkSecret is the Standard Webhooks signing secret of the "clerk" source.
var DevClerkSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("profilesync-dev-clerk-signing!!"))

//go:embed devkey.pem
var devKeyPEM []byte

//go:embed demo_profiles.json
var demoProfiles []byte

// Targets names the back-end fakes, as the example mappings name their
// targets (examples/mappings); GET Prefix/<name>/_sandbox/records lists
// what each holds.
var Targets = []string{"salesforce", "webhook", "hubspot", "brevo", "mailchimp", "braze", "zuora", "scim"}

// Sources names the CIAM fakes, whose user APIs complete thin events (and
// whose keys sign the samples) under Prefix/<name>/.
var Sources = []string{"cidaas", "akamai", "okta", "auth0", "keycloak", "zitadel", "logto", "fusionauth", "entra", "gigya"}

// Sandbox is every fake, mounted under Prefix.
type Sandbox struct {
	// NPI and VIES are the claim authorities' registries.
	NPI        *npi.Fake
	VIES       *vies.Fake
	Salesforce *salesforce.Fake
	Webhook    *generic.Fake
	Cidaas     *cidaas.Fake
	Akamai     *akamai.Fake
	Okta       *okta.Fake
	Auth0      *auth0.Fake
	Keycloak   *keycloak.Fake
	Zitadel    *zitadel.Fake
	Logto      *logto.Fake
	FusionAuth *fusionauth.Fake
	Entra      *entra.Fake
	Gigya      *gigya.Fake
	HubSpot    *hubspot.Fake
	Brevo      *brevo.Fake
	Mailchimp  *mailchimp.Fake
	Braze      *braze.Fake
	Zuora      *zuora.Fake
	SCIM       *scim.Server
	mux        *http.ServeMux
	mounted    []string // the fakes' names, in mount order (see Mounted)
	store      *store   // nil: in memory only (New); see Open
}

// New builds the sandbox with the demo profiles loaded, in memory only;
// Open keeps what the fakes hold in a directory.
func New() (*Sandbox, error) {
	ak, err := akamai.NewFake(DevClientID, DevClientSecret)
	if err != nil {
		return nil, err
	}
	key, err := DevAkamaiKey()
	if err != nil {
		return nil, err
	}
	ak.UseKey(DevAkamaiKID, key)
	s := &Sandbox{
		Salesforce: salesforce.NewFake(DevClientID, DevClientSecret),
		Webhook:    generic.NewFake(generic.Auth{Mode: "hmac", HMACSecret: DevWebhookHMACKey}),
		Cidaas:     cidaas.NewFake(DevClientID, DevClientSecret),
		Akamai:     ak,
		Okta:       okta.NewFake(DevOktaAPIToken),
		Auth0:      auth0.NewFake(DevClientID, DevClientSecret),
		Keycloak:   keycloak.NewFake(DevKeycloakRealm, DevClientID, DevClientSecret),
		Zitadel:    zitadel.NewFake(DevZitadelPAT),
		Logto:      logto.NewFake(DevClientID, DevClientSecret, DevLogtoResource),
		FusionAuth: fusionauth.NewFake(DevFusionAuthAPIKey),
		Entra:      entra.NewFake(DevEntraTenant, DevClientID, DevClientSecret),
		Gigya:      gigya.NewFake(DevGigyaAPIKey, DevGigyaUserKey, DevGigyaSecret),
		mux:        http.NewServeMux(),
	}
	s.Salesforce.SetPathPrefix(Prefix + "/salesforce")
	s.HubSpot = hubspot.NewFake(DevHubSpotToken)
	s.Brevo = brevo.NewFake(DevBrevoAPIKey)
	s.Mailchimp = mailchimp.NewFake(DevMailchimpKey, DevMailchimpList)
	s.Braze = braze.NewFake(DevBrazeAPIKey)
	s.Zuora = zuora.NewFake(DevClientID, DevClientSecret, DevZuoraAccount)
	if s.SCIM, err = scim.New(scim.Auth{Token: DevSCIMToken}, ""); err != nil {
		return nil, err
	}
	profiles, err := DemoProfiles()
	if err != nil {
		return nil, err
	}
	for _, p := range profiles {
		s.Cidaas.Put(p)
		s.Akamai.Put(p)
		s.Okta.Put(p)
		s.Auth0.Put(p)
		s.Keycloak.Put(p)
		s.Zitadel.Put(p)
		s.Logto.Put(p)
		s.FusionAuth.Put(p)
		s.Entra.Put(p, "")
		s.Gigya.Put(p)
	}
	s.mount("salesforce", s.Salesforce)
	s.mount("webhook", s.Webhook)
	s.mount("cidaas", s.Cidaas)
	s.mount("akamai", s.Akamai)
	s.mount("okta", s.Okta)
	s.mount("auth0", s.Auth0)
	s.mount("keycloak", s.Keycloak)
	s.mount("zitadel", s.Zitadel)
	s.mount("logto", s.Logto)
	s.mount("fusionauth", s.FusionAuth)
	s.mount("entra", s.Entra)
	s.mount("gigya", s.Gigya)
	s.mount("hubspot", s.HubSpot)
	s.mount("brevo", s.Brevo)
	s.mount("mailchimp", s.Mailchimp)
	s.mount("braze", s.Braze)
	s.mount("zuora", s.Zuora)
	s.mount("scim", s.SCIM)
	// The claim authorities' registries (base_url .../sandbox/npi/api/ and
	// .../sandbox/vies/rest-api): served, but not in Mounted, which lists
	// the Targets and Sources the CLI prints.
	s.NPI, s.VIES = npi.NewFake(), vies.NewFake()
	for name, h := range map[string]http.Handler{"npi": s.NPI, "vies": s.VIES} {
		p := Prefix + "/" + name
		s.mux.Handle(p+"/", http.StripPrefix(p, h))
	}
	s.mux.HandleFunc("POST "+Prefix+"/akamai/_sandbox/sign", s.signSET)
	// The SCIM server checks its token on every path; its listing is a
	// sandbox convenience like the others', so serve it without one.
	s.mux.HandleFunc("GET "+Prefix+"/scim/_sandbox/records", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.SCIM.Records())
	})
	return s, nil
}

func (s *Sandbox) mount(name string, h http.Handler) {
	s.mounted = append(s.mounted, name)
	p := Prefix + "/" + name
	s.mux.Handle(p+"/", http.StripPrefix(p, s.persisted(name, h)))
}

// Mounted names every fake served under Prefix: Targets and Sources.
func (s *Sandbox) Mounted() []string { return slices.Clone(s.mounted) }

// ServeHTTP serves every fake under Prefix.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// signSET signs the posted claims as the Akamai webhook service would:
// the local twin of Akamai's "send test event", used by `profilesync send`.
func (s *Sandbox) signSET(w http.ResponseWriter, r *http.Request) {
	var claims map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&claims); err != nil {
		http.Error(w, "claims must be a JSON object", http.StatusBadRequest)
		return
	}
	tok, err := s.Akamai.Sign(claims)
	if err != nil {
		http.Error(w, "sign failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/secevent+jwt")
	_, _ = w.Write(tok)
}

// DevAkamaiKey parses devkey.pem.
func DevAkamaiKey() (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(devKeyPEM)
	if block == nil {
		return nil, errors.New("devkey.pem: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("devkey.pem: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("devkey.pem: not an RSA key")
	}
	return rk, nil
}

// DemoProfiles are the customers the CIAM fakes know.
func DemoProfiles() ([]*profile.Profile, error) {
	var ps []*profile.Profile
	if err := json.Unmarshal(demoProfiles, &ps); err != nil {
		return nil, fmt.Errorf("demo_profiles.json: %w", err)
	}
	return ps, nil
}

// DevSecrets returns the secrets of every source and target of the shipped
// mappings, pointing at a sandbox reached at base (e.g.
// http://127.0.0.1:3000). Keys are secret names.
func DevSecrets(base string) map[string]json.RawMessage {
	base = strings.TrimRight(base, "/")
	sb := base + Prefix
	enc := func(v map[string]any) json.RawMessage {
		b, _ := json.MarshalIndent(v, "", "  ")
		return b
	}
	return map[string]json.RawMessage{
		"cidaas": enc(map[string]any{
			"kind": "cidaas", "auth": "apikey", "apikey_name": "apikey", "apikey_placement": "header",
			"apikey": DevCidaasAPIKey, "base_url": sb + "/cidaas",
			"client_id": DevClientID, "client_secret": DevClientSecret,
		}),
		"akamai": enc(map[string]any{
			"kind": "akamai", "jwks_url": sb + "/akamai/login/jwk", "issuer": AkamaiIssuer,
			"audience": base + "/webhooks/akamai", "capture_url": sb + "/akamai",
			"client_id": DevClientID, "client_secret": DevClientSecret,
		}),
		"clerk": enc(map[string]any{"kind": "standardwebhooks", "secrets": []string{DevClerkSecret}}),
		"okta": enc(map[string]any{"kind": "okta", "secrets": []string{DevOktaHookSecret},
			"org_url": sb + "/okta", "api_token": DevOktaAPIToken}),
		"auth0": enc(map[string]any{"kind": "auth0", "authorization": []string{DevAuth0Authorization},
			"domain": sb + "/auth0", "client_id": DevClientID, "client_secret": DevClientSecret}),
		"keycloak": enc(map[string]any{
			"kind": "keycloak", "secret": DevKeycloakSecret, "base_url": sb + "/keycloak", "realm": DevKeycloakRealm,
			"client_id": DevClientID, "client_secret": DevClientSecret,
		}),
		"zitadel": enc(map[string]any{"kind": "zitadel", "signing_key": DevZitadelKey, "api_url": sb + "/zitadel", "token": DevZitadelPAT}),
		"logto": enc(map[string]any{"kind": "logto", "signing_key": DevLogtoKey, "endpoint": sb + "/logto", "resource": DevLogtoResource,
			"client_id": DevClientID, "client_secret": DevClientSecret}),
		"generic": enc(GenericSecret(DevGenericAPIKey)),
		"ssf": enc(map[string]any{"kind": "ssf", "jwks_url": sb + "/akamai/login/jwk", "issuer": SSFIssuer,
			"audience": base + "/webhooks/ssf", "authorization": []string{DevSSFAuthorization}}),
		// Cognito's events come through the trigger function; the pool is
		// the research sample's (no call reaches AWS: events carry the profile).
		"cognito": enc(map[string]any{"kind": "cognito", "user_pool_id": DevCognitoUserPoolID}),
		"fusionauth": enc(map[string]any{"kind": "fusionauth", "hmac_keys": []string{DevFusionAuthKey},
			"api_url": sb + "/fusionauth", "api_key": DevFusionAuthAPIKey}),
		"entra": enc(map[string]any{"kind": "entra", "client_states": []string{DevEntraClientState}, "tenant_id": DevEntraTenant,
			"client_id": DevClientID, "client_secret": DevClientSecret, "graph_url": sb + "/entra", "login_url": sb + "/entra"}),
		"gigya": enc(map[string]any{"kind": "gigya", "api_key": DevGigyaAPIKey, "base_url": sb + "/gigya",
			"user_key": DevGigyaUserKey, "secret": DevGigyaSecret}),
		"salesforce": enc(map[string]any{
			"login_url": sb + "/salesforce", "client_id": DevClientID, "client_secret": DevClientSecret,
		}),
		"webhook":   enc(map[string]any{"base_url": sb + "/webhook", "hmac_secret": DevWebhookHMACKey}),
		"hubspot":   enc(map[string]any{"access_token": DevHubSpotToken, "base_url": sb + "/hubspot"}),
		"brevo":     enc(map[string]any{"api_key": DevBrevoAPIKey, "base_url": sb + "/brevo"}),
		"mailchimp": enc(map[string]any{"api_key": DevMailchimpKey, "base_url": sb + "/mailchimp/3.0"}),
		"braze":     enc(map[string]any{"api_key": DevBrazeAPIKey, "base_url": sb + "/braze"}),
		"zuora":     enc(map[string]any{"base_url": sb + "/zuora", "client_id": DevClientID, "client_secret": DevClientSecret}),
		"scim":      enc(map[string]any{"base_url": sb + "/scim", "token": DevSCIMToken}),
		// The claim verifier's: the public registries' fakes, who may call
		// POST /claims/verify, and the key of the approval links.
		"npi-registry":  enc(map[string]any{"base_url": sb + "/npi/api/"}),
		"vies-registry": enc(map[string]any{"base_url": sb + "/vies/rest-api"}),
		"claims-api": enc(map[string]any{"callers": map[string]any{
			"dev": map[string]any{"api_key": DevClaimsAPIKey, "source": "cidaas"},
		}}),
		"claims-approvals": enc(map[string]any{"link_key": DevApprovalLinkKey, "base_url": base}),
	}
}

// DevApprovalLinkKey (base64 of 34 bytes) signs the local stack's
// approval links.
const DevApprovalLinkKey = "cHJvZmlsZXN5bmMtZGV2LWFwcHJvdmFsLWxpbmsta2V5IQ=="

// SSFIssuer is the iss of the "ssf" source's SETs (`profilesync send`
// signs them with the sandbox's transmitter key).
const SSFIssuer = "https://ssf.sandbox.profilesync.invalid/"

// DevCognitoUserPoolID is the "cognito" source's user pool, the one of
// events/cognito-post-confirmation.json.
const DevCognitoUserPoolID = "eu-central-1_AbCdEfGhI"

// AkamaiIssuer is the iss of the sandbox's SETs.
const AkamaiIssuer = "https://v1.api.us.janrain.com/00000000-0000-0000-0000-000000000000/webhooks"

// GenericSecret is the "generic" source's secret (kind webhook) as the
// README configures it for Ory Kratos web hooks: the API key in
// X-Webhook-Secret, the template's fields, no fetch (the hook carries the
// traits).
func GenericSecret(apiKey string) map[string]any {
	return map[string]any{
		"kind": "webhook", "auth": "apikey", "header": "X-Webhook-Secret", "secrets": []string{apiKey},
		"subject_path": "identity_id", "type_path": "event", "time_path": "updated_at",
		"event_types": map[string]string{"registration.after": "created", "settings.after": "updated"},
		"fields": map[string]string{
			"email": "traits.email", "email_verified": "verified_email",
			"given_name": "traits.name.first", "family_name": "traits.name.last",
			"consents.newsletter": "traits.consents.newsletter", "custom.kratos_state": "state",
			"updated_at": "updated_at",
		},
	}
}
