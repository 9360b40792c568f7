package devstack

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/wiring"
)

const (
	sendJaneSub = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"
	sendMaxSub  = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
)

var (
	sendCidaasBody = []byte(`{"eventtype":"ACCOUNT_MODIFIED","id":"2f6a8c1e-4b3d-4e5f-9a0b-1c2d3e4f5a6b","sub":"` + sendJaneSub + `"}`)
	sendClerkBody  = []byte(`{"type":"user.updated","object":"event","timestamp":1735725600123,` +
		`"data":{"id":"user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5","object":"user","first_name":"Jane","last_name":"Doe"}}`)
	sendKeycloakBody = []byte(`{"time":1735729200456,"uid":"6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b","type":"access.UPDATE_PROFILE",` +
		`"authDetails":{"realmId":"profilesync","clientId":"account-console","userId":"` + sendJaneSub + `"}}`)
	sendEntraBody      = []byte(`{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","changeType":"updated","resource":"Users/` + sendJaneSub + `","resourceData":{"@odata.type":"#Microsoft.Graph.User","@odata.id":"Users/` + sendJaneSub + `","id":"` + sendJaneSub + `"},"tenantId":"` + sandbox.DevEntraTenant + `"}]}`)
	sendZitadelBody    = []byte(`{"aggregateID":"` + sendMaxSub + `","aggregateType":"user","sequence":4,"event_type":"user.human.email.changed"}`)
	sendGenericBody    = []byte(`{"event":"settings.after","flow_id":"f1","identity_id":"` + sendMaxSub + `","traits":{"email":"max@example.com"}}`)
	sendFusionAuthBody = []byte(`{"event":{"type":"user.update","id":"e2b7c6d5-4a3f-4e21-9b8c-7d6e5f4a3b2c","createInstant":1735725900500,` +
		`"user":{"id":"` + sendMaxSub + `","email":"max@example.com","firstName":"Max","active":true}}}`)
	sendGigyaBody = []byte(`{"events":[{"type":"accountUpdated","id":"b3e95b42-5788-49a7-842a-90c0f183d653","timestamp":1735725900,` +
		`"callId":"f1e2d3c4b5a6978899aabbccddeeff00","version":"2.0","apiKey":"4_profilesyncDevSite","data":{"uid":"` + sendMaxSub + `"}}],` +
		`"nonce":"8693aa10-9c75-48c9-a959-6ef1ae2b6b54","timestamp":1735726001}`)
	sendLogtoBody = []byte(`{"event":"User.Data.Updated","createdAt":"2025-01-01T10:05:00.500Z","data":{"id":"` + sendMaxSub + `","name":"Max"}}`)
	// The research samples' decoded-SET shape, with a foreign iss and aud
	// that Sign must replace.
	sendAkamaiBody = []byte(`{"header":{"typ":"secevent+jwt"},"claims":{"iss":"https://elsewhere.example.com","aud":["x"],` +
		`"events":{"entityUpdated":{"id":"c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f","entityType":"user","sub":"` + sendMaxSub + `"}}}}`)
	// The research sample's claims: send replaces iss, aud, iat and jti.
	sendSSFBody = []byte(`{"header":{"typ":"secevent+jwt"},"claims":{"iss":"https://idp.example.com/","jti":"9f0e1d2c3b4a5968",` +
		`"iat":1735815600,"aud":"https://profilesync.example.com/ssf","sub_id":{"format":"iss_sub","iss":"https://idp.example.com/","sub":"` +
		sendMaxSub + `"},"events":{"https://schemas.openid.net/secevent/risc/event-type/account-purged":{}}}}`)
	sendOktaBody = []byte(`{"eventType":"com.okta.event_hook","eventTime":"2025-01-01T10:05:01.000Z","data":{"events":[` +
		`{"uuid":"2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2b","published":"2025-01-01T10:05:00.700Z","eventType":"user.account.update_profile",` +
		`"outcome":{"result":"SUCCESS"},"target":[{"id":"` + sendJaneSub + `","type":"User"}]}]}}`)
	sendAuth0Body = []byte(`[{"log_id":"90020250101100500123456789012345678901234567890123456790","data":{"date":"2025-01-01T10:05:00.456Z",` +
		`"type":"sapi","details":{"request":{"method":"patch","path":"/api/v2/users/` + sendJaneSub + `"},"response":{"statusCode":200}}}}]`)
)

// sendSandboxServer serves a sandbox and returns its base URL.
func sendSandboxServer(t *testing.T) (*sandbox.Sandbox, *httptest.Server) {
	t.Helper()
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

// sendSecretWith returns secret with fields set.
func sendSecretWith(t *testing.T, secret []byte, fields map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(secret, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignVerifiesWithTheRealParsers(t *testing.T) {
	_, srv := sendSandboxServer(t)
	dev := sandbox.DevSecrets(srv.URL)
	totpKey := base32.StdEncoding.EncodeToString([]byte("profilesync-dev-totp-key"))
	now := time.Now().Truncate(time.Second)
	signSET := SandboxSETSigner(context.Background(), srv.Client(), srv.URL)

	tests := []struct {
		name    string
		source  string
		secret  []byte
		body    []byte
		tamper  func(w *Webhook) // must make Parse fail as unauthenticated
		want    profile.EventType
		subject string
	}{
		{
			name: "cidaas api key in header", source: "cidaas", secret: dev["cidaas"], body: sendCidaasBody,
			tamper: func(w *Webhook) { w.Header.Set("apikey", sandbox.DevCidaasAPIKey+"x") },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "cidaas api key in query", source: "cidaas", body: sendCidaasBody,
			secret: sendSecretWith(t, dev["cidaas"], map[string]any{"apikey_placement": "query", "apikey_name": "key"}),
			tamper: func(w *Webhook) { w.Query.Set("key", "guess") },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "cidaas totp in header", source: "cidaas", body: sendCidaasBody,
			secret: sendSecretWith(t, dev["cidaas"], map[string]any{"auth": "totp", "totp_key": totpKey}),
			tamper: func(w *Webhook) { w.Header.Set("totp", flipTOTPDigit(w.Header.Get("totp"))) },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "cidaas totp in query", source: "cidaas", body: sendCidaasBody,
			secret: sendSecretWith(t, dev["cidaas"], map[string]any{"auth": "totp", "totp_key": totpKey, "totp_placement": "query"}),
			tamper: func(w *Webhook) { w.Query.Set("totp", flipTOTPDigit(w.Query.Get("totp"))) },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "standard webhooks", source: "clerk", secret: dev["clerk"], body: sendClerkBody,
			tamper: func(w *Webhook) { w.Body = bytes.Replace(w.Body, []byte("Jane"), []byte("Joan"), 1) },
			want:   profile.Updated, subject: "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5",
		},
		{
			name: "standard webhooks, replayed id", source: "clerk", secret: dev["clerk"], body: sendClerkBody,
			tamper: func(w *Webhook) { w.Header.Set("Webhook-Id", "msg_other") },
			want:   profile.Updated, subject: "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5",
		},
		{
			name: "okta hook secret", source: "okta", secret: dev["okta"], body: sendOktaBody,
			tamper: func(w *Webhook) { w.Header.Set("Authorization", sandbox.DevOktaHookSecret+"x") },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "auth0 stream token", source: "auth0", secret: dev["auth0"], body: sendAuth0Body,
			tamper: func(w *Webhook) { w.Header.Set("Authorization", "Bearer guess-guess-guess-guess") },
			want:   profile.Updated, subject: sendJaneSub,
		},
		{
			name: "keycloak HMAC", source: "keycloak", secret: dev["keycloak"], body: sendKeycloakBody,
			tamper: func(w *Webhook) {
				w.Body = bytes.Replace(w.Body, []byte("UPDATE_PROFILE"), []byte("DELETE_ACCOUNT"), 1)
			},
			want: profile.Updated, subject: sendJaneSub,
		},
		{
			name: "zitadel HMAC with timestamp", source: "zitadel", secret: dev["zitadel"], body: sendZitadelBody,
			tamper: func(w *Webhook) {
				w.Header.Set("Zitadel-Signature", strings.Replace(w.Header.Get("Zitadel-Signature"), "t=", "t=1", 1))
			},
			want: profile.Updated, subject: sendMaxSub,
		},
		{
			name: "logto HMAC", source: "logto", secret: dev["logto"], body: sendLogtoBody,
			tamper: func(w *Webhook) { w.Body = bytes.Replace(w.Body, []byte("Max"), []byte("Eve"), 1) },
			want:   profile.Updated, subject: sendMaxSub,
		},
		{
			name: "generic API key", source: "generic", secret: dev["generic"], body: sendGenericBody,
			tamper: func(w *Webhook) { w.Header.Set("X-Webhook-Secret", sandbox.DevGenericAPIKey+"x") },
			want:   profile.Updated, subject: sendMaxSub,
		},
		{
			name: "fusionauth HS256 JWT", source: "fusionauth", secret: dev["fusionauth"], body: sendFusionAuthBody,
			tamper: func(w *Webhook) { w.Body = bytes.Replace(w.Body, []byte("Max"), []byte("Eve"), 1) },
			want:   profile.Updated, subject: sendMaxSub,
		},
		{
			name: "entra clientState", source: "entra", secret: dev["entra"], body: sendEntraBody,
			tamper: func(w *Webhook) {
				w.Body = bytes.Replace(w.Body, []byte(sandbox.DevEntraClientState), []byte("guessed-client-state-0000"), 1)
			},
			want: profile.Updated, subject: sendJaneSub,
		},
		{
			name: "gigya HMAC-SHA1", source: "gigya", secret: dev["gigya"], body: sendGigyaBody,
			tamper: func(w *Webhook) {
				w.Body = bytes.Replace(w.Body, []byte("accountUpdated"), []byte("accountDeleted"), 1)
			},
			want: profile.Updated, subject: sendMaxSub,
		},
		{
			name: "ssf SET", source: "ssf", secret: dev["ssf"], body: sendSSFBody,
			tamper: func(w *Webhook) { w.Body = tamperJWSPayload(t, w.Body) },
			want:   profile.Deleted, subject: sendMaxSub,
		},
		{
			name: "ssf stream authorization", source: "ssf", secret: dev["ssf"], body: sendSSFBody,
			tamper: func(w *Webhook) { w.Header.Set("Authorization", "Bearer guess-guess-guess-guess") },
			want:   profile.Deleted, subject: sendMaxSub,
		},
		{
			name: "akamai SET", source: "akamai", secret: dev["akamai"], body: sendAkamaiBody,
			tamper: func(w *Webhook) { w.Body = tamperJWSPayload(t, w.Body) },
			want:   profile.Updated, subject: sendMaxSub,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parser, _, err := registry.New(tt.source, tt.secret, egress.Client(egress.Local, wiring.HTTPTimeout))
			if err != nil {
				t.Fatal(err)
			}
			w, err := Sign(tt.secret, tt.body, now, signSET)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			parse := func(w *Webhook) ([]profile.Event, error) {
				return parser.Parse(context.Background(), source.Request{Header: w.Header, Query: w.Query, Body: w.Body, Now: now})
			}
			evs, err := parse(w)
			if err != nil {
				t.Fatalf("Parse of a signed webhook: %v", err)
			}
			if len(evs) != 1 || evs[0].Type != tt.want || evs[0].Subject != tt.subject {
				t.Fatalf("events = %+v, want one %s for %s", evs, tt.want, tt.subject)
			}
			bad := cloneWebhook(w)
			tt.tamper(bad)
			if _, err := parse(bad); !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("Parse of a tampered webhook: err = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func TestSignRejectsWhatItCannotSign(t *testing.T) {
	dev := sandbox.DevSecrets("http://127.0.0.1:3000")
	never := func([]byte) ([]byte, error) { t.Fatal("signSET called"); return nil, nil }
	tests := []struct {
		name    string
		secret  []byte
		body    []byte
		signSET SETSigner
	}{
		{"unknown kind", []byte(`{"kind":"nosuchciam"}`), sendCidaasBody, never},
		{"okta short secret", []byte(`{"kind":"okta","secrets":["short"],"org_url":"https://a.okta.com","api_token":"t"}`), sendOktaBody, never},
		{"secret not JSON", []byte(`nope`), sendCidaasBody, never},
		{"akamai body not an object", dev["akamai"], []byte(`[1]`), never},
		{"akamai claims without events", dev["akamai"], []byte(`{"claims":{"sub":"x"}}`), never},
		{"akamai without signer", dev["akamai"], sendAkamaiBody, nil},
		{"ssf without signer", dev["ssf"], sendSSFBody, nil},
		{"ssf claims without events", dev["ssf"], []byte(`{"sub_id":{"format":"opaque","id":"x"}}`), never},
		{"keycloak without secret", []byte(`{"kind":"keycloak","base_url":"https://sso.example.com","realm":"r","client_id":"c","client_secret":"s"}`), sendKeycloakBody, never},
		{"zitadel without signing key", []byte(`{"kind":"zitadel","api_url":"https://z","token":"t"}`), sendZitadelBody, never},
		{"fusionauth with only a JWKS", []byte(`{"kind":"fusionauth","jwks_url":"https://a/jwks.json","api_url":"https://a","api_key":"k"}`), sendFusionAuthBody, never},
		{"logto without signing key", []byte(`{"kind":"logto","endpoint":"https://a","client_id":"c","client_secret":"s"}`), sendLogtoBody, never},
		{"generic without secrets", []byte(`{"kind":"webhook","auth":"apikey","subject_path":"id","type_path":"t","event_types":{"e":"updated"}}`), sendGenericBody, never},
		{"entra short clientState", []byte(`{"kind":"entra","client_states":["short"],"tenant_id":"t","client_id":"c","client_secret":"s"}`), sendEntraBody, never},
		{"entra body not a collection", dev["entra"], []byte(`{"value":[]}`), never},
		{"gigya with the jwt scheme", sendSecretWith(t, dev["gigya"], map[string]any{"signature": "jwt"}), sendGigyaBody, never},
		{"standardwebhooks bad secret", []byte(`{"kind":"standardwebhooks","secrets":["nope"]}`), sendClerkBody, never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Sign(tt.secret, tt.body, time.Now(), tt.signSET); err == nil {
				t.Fatal("Sign succeeded")
			}
		})
	}
}

// TestSend posts to a stand-in for the stack that verifies with the
// parser built from the same secret files.
func TestSend(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteDevSecrets(filepath.Join(dir, "secrets")); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(sandbox.Prefix+"/", sb)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	secrets := FileSecrets{Dir: filepath.Join(dir, "secrets"), BaseURL: srv.URL}
	mux.HandleFunc("POST /webhooks/{source}", func(w http.ResponseWriter, r *http.Request) {
		raw, err := secrets.Secret(r.Context(), r.PathValue("source"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		p, _, err := registry.New(r.PathValue("source"), raw, egress.Client(egress.Local, wiring.HTTPTimeout))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		evs, err := p.Parse(r.Context(), source.Request{Header: r.Header, Query: r.URL.Query(), Body: body, Now: time.Now()})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"events": len(evs)})
	})
	for _, tc := range []struct {
		source string
		body   []byte
	}{{"cidaas", sendCidaasBody}, {"clerk", sendClerkBody}, {"akamai", sendAkamaiBody}} {
		t.Run(tc.source, func(t *testing.T) {
			res, err := Send(context.Background(), SendOptions{URL: srv.URL + "/", DataDir: dir, Source: tc.source, Body: tc.body, HTTP: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusOK || string(bytes.TrimSpace(res.Body)) != `{"events":1}` {
				t.Fatalf("answer %d %s", res.Status, res.Body)
			}
		})
	}
	if _, err := Send(context.Background(), SendOptions{URL: srv.URL, DataDir: dir, Source: "nope", Body: sendCidaasBody}); err == nil {
		t.Fatal("Send to a source without a secret file succeeded")
	}
}

func cloneWebhook(w *Webhook) *Webhook {
	return &Webhook{Header: w.Header.Clone(), Query: url.Values(http.Header(w.Query).Clone()), Body: bytes.Clone(w.Body)}
}

func flipTOTPDigit(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

// tamperJWSPayload changes the subject in the claims and keeps the
// signature.
func tamperJWSPayload(t *testing.T, tok []byte) []byte {
	t.Helper()
	parts := bytes.Split(tok, []byte("."))
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %s", tok)
	}
	claims, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	claims = bytes.Replace(claims, []byte(sendMaxSub), []byte(sendJaneSub), 1)
	parts[1] = []byte(base64.RawURLEncoding.EncodeToString(claims))
	return bytes.Join(parts, []byte("."))
}
