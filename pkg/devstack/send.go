package devstack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source/akamai"
	"github.com/profilesync/profilesync/pkg/source/auth0"
	"github.com/profilesync/profilesync/pkg/source/cidaas"
	"github.com/profilesync/profilesync/pkg/source/entra"
	"github.com/profilesync/profilesync/pkg/source/fusionauth"
	"github.com/profilesync/profilesync/pkg/source/gigya"
	"github.com/profilesync/profilesync/pkg/source/keycloak"
	"github.com/profilesync/profilesync/pkg/source/logto"
	"github.com/profilesync/profilesync/pkg/source/okta"
	"github.com/profilesync/profilesync/pkg/source/ssf"
	"github.com/profilesync/profilesync/pkg/source/standardwebhooks"
	"github.com/profilesync/profilesync/pkg/source/webhook"
	"github.com/profilesync/profilesync/pkg/source/zitadel"
)

// Webhook is a signed delivery, ready to POST to /webhooks/{source}.
type Webhook struct {
	Header http.Header
	Query  url.Values
	Body   []byte
}

// SETSigner turns SET claims (a JSON object) into a compact JWS, as the
// Akamai webhook service does. The sandbox's POST
// /sandbox/akamai/_sandbox/sign is one (SandboxSETSigner).
type SETSigner func(claims []byte) ([]byte, error)

// Sign authenticates body the way the CIAM behind secret (a source's
// secret JSON, dispatched on its "kind") authenticates its deliveries:
//
//   - cidaas: the API key, or the TOTP code for now, in the configured
//     header or query parameter; the body goes as it is.
//   - standardwebhooks: webhook-id, webhook-timestamp (now) and a v1
//     HMAC-SHA256 signature with the first secret.
//   - akamai: body holds SET claims (or an object with a "claims" member);
//     iss and aud come from the config, iat and toe are now, jti is fresh,
//     and signSET makes the compact SET that becomes the body.
//   - okta: the first of the hook's secrets in its auth header; the body
//     (an Event Hook delivery) goes as it is.
//   - auth0: the first configured Authorization value, verbatim; the body
//     (log stream records or a CloudEvent) goes as it is.
//   - keycloak: X-Keycloak-Signature, the hex HMAC of the body (phasetwo).
//   - zitadel: ZITADEL-Signature, t=now and the v1 HMAC of "t.body".
//   - logto: logto-signature-sha-256, the hex HMAC of the body.
//   - webhook (generic): the first secret as the API key header or Basic
//     credentials, or its HMAC signature (with a timestamp of now when
//     the secret names a timestamp header).
//   - fusionauth: X-FusionAuth-Signature-JWT, an HS256 JWT with the first
//     HMAC key over the body's request_body_sha256 (a config with only a
//     jwks_url cannot be signed: the private key stays in FusionAuth).
//   - entra: every notification's clientState set to the first of
//     client_states, as Graph sets the subscription's.
//   - gigya: X-Gigya-Sig-Hmac-Sha1, the base64 HMAC-SHA1 of the body with
//     the first webhook secret (a jwt source cannot be signed: the key is
//     SAP's).
//   - ssf: as akamai (iss and aud from the config, iat now, a fresh jti;
//     toe kept when the claims have one), signed by signSET, with the
//     first authorization value as the Authorization header (RFC 8935).
func Sign(secret, body []byte, now time.Time, signSET SETSigner) (*Webhook, error) {
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(secret, &head); err != nil {
		return nil, fmt.Errorf("source secret is not a JSON object: %w", err)
	}
	switch head.Kind {
	case cidaas.Kind:
		return signCidaas(secret, body, now)
	case standardwebhooks.Kind:
		return signStandardWebhooks(secret, body, now)
	case akamai.Kind:
		return signAkamai(secret, body, now, signSET)
	case okta.Kind:
		return signOkta(secret, body)
	case auth0.Kind:
		cfg, err := auth0.ParseConfig(secret)
		if err != nil {
			return nil, err
		}
		w := jsonWebhook(body)
		w.Header.Set("Authorization", cfg.Authorization[0])
		return w, nil
	case keycloak.Kind:
		return signKeycloak(secret, body)
	case zitadel.Kind:
		return signZitadel(secret, body, now)
	case logto.Kind:
		return signLogto(secret, body)
	case webhook.Kind:
		cfg, err := webhook.ParseConfig(secret)
		if err != nil {
			return nil, err
		}
		w := jsonWebhook(body)
		return w, webhook.Authenticate(cfg, w.Header, body, now)
	case fusionauth.Kind:
		return signFusionAuth(secret, body)
	case entra.Kind:
		cfg, err := entra.ParseConfig(secret)
		if err != nil {
			return nil, err
		}
		b, err := entra.WithClientState(body, cfg.ClientStates[0])
		if err != nil {
			return nil, err
		}
		return jsonWebhook(b), nil
	case gigya.Kind:
		return signGigya(secret, body)
	case ssf.Kind:
		return signSSF(secret, body, now, signSET)
	}
	return nil, fmt.Errorf("source secret: kind %q: no signer (want one of %s)", head.Kind,
		strings.Join([]string{cidaas.Kind, akamai.Kind, standardwebhooks.Kind, okta.Kind, auth0.Kind, keycloak.Kind, zitadel.Kind, logto.Kind, webhook.Kind, fusionauth.Kind, entra.Kind, gigya.Kind, ssf.Kind}, ", "))
}

func jsonWebhook(body []byte) *Webhook {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &Webhook{Header: h, Query: url.Values{}, Body: body}
}

func signCidaas(secret, body []byte, now time.Time) (*Webhook, error) {
	cfg, err := cidaas.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	name, placement, value := cfg.APIKeyName, cfg.APIKeyPlacement, cfg.APIKey
	if cfg.Auth == cidaas.AuthTOTP {
		code, err := cidaas.TOTP(cfg.TOTPKey, now)
		if err != nil {
			return nil, fmt.Errorf("cidaas totp: %w", err)
		}
		name, placement, value = cfg.TOTPName, cfg.TOTPPlacement, code
	}
	w := jsonWebhook(body)
	if placement == cidaas.PlacementQuery {
		w.Query.Set(name, value)
	} else {
		w.Header.Set(name, value)
	}
	return w, nil
}

func signOkta(secret, body []byte) (*Webhook, error) {
	cfg, err := okta.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	w := jsonWebhook(body)
	w.Header.Set("Accept", "application/json")
	w.Header.Set(cfg.AuthHeader, cfg.Secrets[0])
	return w, nil
}

func signStandardWebhooks(secret, body []byte, now time.Time) (*Webhook, error) {
	cfg, err := standardwebhooks.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	// ParseConfig has checked the prefix and the base64.
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(cfg.Secrets[0], "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("standardwebhooks secrets[0]: %w", err)
	}
	id, ts := "msg_"+randomHex(12), strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	w := jsonWebhook(body)
	w.Header.Set("Webhook-Id", id)
	w.Header.Set("Webhook-Timestamp", ts)
	w.Header.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return w, nil
}

func signKeycloak(secret, body []byte) (*Webhook, error) {
	cfg, err := keycloak.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	w := jsonWebhook(body)
	w.Header.Set(keycloak.SignatureHeader, keycloak.Signature(cfg.Secret, cfg.Algorithm, body))
	return w, nil
}

func signZitadel(secret, body []byte, now time.Time) (*Webhook, error) {
	cfg, err := zitadel.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	w := jsonWebhook(body)
	w.Header.Set(zitadel.SignatureHeader, zitadel.Signature(cfg.SigningKey, now, body))
	return w, nil
}

func signLogto(secret, body []byte) (*Webhook, error) {
	cfg, err := logto.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	w := jsonWebhook(body)
	w.Header.Set(logto.SignatureHeader, logto.Signature(cfg.SigningKey, body))
	return w, nil
}

func signFusionAuth(secret, body []byte) (*Webhook, error) {
	cfg, err := fusionauth.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	if len(cfg.HMACKeys) == 0 {
		return nil, fmt.Errorf("fusionauth: no hmac_keys to sign with (the RSA/EC key of jwks_url is FusionAuth's)")
	}
	w := jsonWebhook(body)
	w.Header.Set(fusionauth.SignatureHeader, fusionauth.SignHS256(cfg.HMACKeys[0], "profilesync-send", body))
	return w, nil
}

func signGigya(secret, body []byte) (*Webhook, error) {
	cfg, err := gigya.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	key, ok := gigya.HMACKey(cfg)
	if !ok {
		return nil, errors.New("gigya: a jwt source cannot be signed (the key is SAP's)")
	}
	w := jsonWebhook(body)
	w.Header.Set(gigya.HMACHeader, gigya.Signature(key, body))
	return w, nil
}

func signAkamai(secret, body []byte, now time.Time, signSET SETSigner) (*Webhook, error) {
	cfg, err := akamai.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	return setWebhook("akamai", body, now, signSET, map[string]any{"iss": cfg.Issuer, "aud": cfg.Audience, "toe": now.Unix()})
}

func signSSF(secret, body []byte, now time.Time, signSET SETSigner) (*Webhook, error) {
	cfg, err := ssf.ParseConfig(secret)
	if err != nil {
		return nil, err
	}
	w, err := setWebhook("ssf", body, now, signSET, map[string]any{"iss": cfg.Issuer, "aud": cfg.Audience})
	if err == nil && len(cfg.Authorization) > 0 {
		w.Header.Set("Authorization", cfg.Authorization[0])
	}
	return w, err
}

// setWebhook signs body's SET claims with set (and iat now, a fresh jti)
// put over them, as a transmitter posts a Security Event Token.
func setWebhook(kind string, body []byte, now time.Time, signSET SETSigner, set map[string]any) (*Webhook, error) {
	if signSET == nil {
		return nil, errors.New(kind + ": no SET signer")
	}
	claims, err := setClaims(body)
	if err != nil {
		return nil, err
	}
	set["iat"], set["jti"] = now.Unix(), newUUID()
	for k, v := range set {
		b, _ := json.Marshal(v) // strings and integers always marshal
		claims[k] = b
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("%s claims: %w", kind, err)
	}
	tok, err := signSET(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: sign SET: %w", kind, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/secevent+jwt")
	h.Set("Accept", "application/json")
	return &Webhook{Header: h, Query: url.Values{}, Body: bytes.TrimSpace(tok)}, nil
}

// setClaims reads a JSON object of claims, or the "claims" member of a
// decoded-SET sample ({"header":…, "claims":…}).
func setClaims(body []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errors.New("payload must be a JSON object of SET claims")
	}
	if inner, ok := obj["claims"]; ok {
		obj = nil
		if err := json.Unmarshal(inner, &obj); err != nil || obj == nil {
			return nil, errors.New("\"claims\" must be a JSON object")
		}
	}
	if _, ok := obj["events"]; !ok {
		return nil, errors.New("SET claims have no \"events\" member")
	}
	return obj, nil
}

// SandboxSETSigner signs SETs with the sandbox of the stack at base.
func SandboxSETSigner(ctx context.Context, hc *http.Client, base string) SETSigner {
	return func(claims []byte) ([]byte, error) {
		u := strings.TrimRight(base, "/") + sandbox.Prefix + "/akamai/_sandbox/sign"
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(claims))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("POST %s: %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
		}
		return b, nil
	}
}

// SendOptions say what `profilesync send` posts, and where.
type SendOptions struct {
	URL     string // the local stack; default http://127.0.0.1:3000
	DataDir string // secrets in <DataDir>/secrets; default .profilesync
	Source  string // source instance name: /webhooks/{Source}
	Body    []byte // the payload before signing
	Now     time.Time
	HTTP    *http.Client
}

// SendResult is the stack's answer.
type SendResult struct {
	Status int
	Body   []byte
}

// Send signs o.Body with o.Source's secret (as the stack at o.URL reads
// it) and POSTs it to <URL>/webhooks/<Source>. An answer of any status is
// a result, not an error.
func Send(ctx context.Context, o SendOptions) (SendResult, error) {
	if o.URL == "" {
		o.URL = "http://127.0.0.1:3000"
	}
	o.URL = strings.TrimRight(o.URL, "/")
	if o.DataDir == "" {
		o.DataDir = ".profilesync"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.HTTP == nil {
		o.HTTP = egress.Client(egress.Local, 30*time.Second)
	}
	secret, err := FileSecrets{Dir: filepath.Join(o.DataDir, "secrets"), BaseURL: o.URL}.Secret(ctx, o.Source)
	if err != nil {
		return SendResult{}, err
	}
	w, err := Sign(secret, o.Body, o.Now, SandboxSETSigner(ctx, o.HTTP, o.URL))
	if err != nil {
		return SendResult{}, fmt.Errorf("sign for %s: %w", o.Source, err)
	}
	return postWebhook(ctx, o.HTTP, o.URL, o.Source, w)
}

// postWebhook posts a signed webhook to <base>/webhooks/<source>.
func postWebhook(ctx context.Context, hc *http.Client, base, source string, w *Webhook) (SendResult, error) {
	u := base + "/webhooks/" + url.PathEscape(source)
	if len(w.Query) > 0 {
		u += "?" + w.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(w.Body))
	if err != nil {
		return SendResult{}, err
	}
	req.Header = w.Header
	resp, err := hc.Do(req)
	if err != nil {
		return SendResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return SendResult{}, fmt.Errorf("read answer: %w", err)
	}
	return SendResult{Status: resp.StatusCode, Body: b}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
