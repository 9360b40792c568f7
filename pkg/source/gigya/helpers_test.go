package gigya

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	fake "github.com/profilesync/profilesync/pkg/sandbox/gigya"
	"github.com/profilesync/profilesync/pkg/source"
)

// vector is test-vectors.json → gigya_hmac_sha1, copied from the research
// notes.
type vector struct {
	SecretBase64 string            `json:"secret_base64"`
	Headers      map[string]string `json:"headers"`
	RawBody      string            `json:"raw_body"`
}

func loadVector(t testing.TB) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	siteKey    = "4_AbCdEfGhIjKlMnOpQrStUv" // the vector's apiKey
	userKey    = "ABcdEFgh1234"
	testSecret = "dGVzdC1naWd5YS11c2VyLWtleS1zZWNyZXQtMDEyMw==" // base64 of 32 bytes
)

// vectorTime is the research's fixed clock, a little after the vector's
// notification timestamp.
var vectorTime = time.Unix(1735726001, 0).UTC()

func hmacConfig(secrets ...string) Config {
	return Config{Environment: "prod", APIKey: siteKey, BaseURL: "https://accounts.eu1.gigya.com", Secret: testSecret, WebhookSecrets: secrets}
}

func mustParser(t testing.TB, cfg Config) *Parser {
	t.Helper()
	p, err := NewParser("gigya-acme", cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func signedHMAC(secret string, body string, now time.Time) source.Request {
	key, _ := base64.StdEncoding.DecodeString(secret)
	h := http.Header{}
	h.Set(HMACHeader, Signature(key, []byte(body)))
	return source.Request{Header: h, Body: []byte(body), Now: now}
}

// newSite serves a fake site under a path prefix, as the local stack
// mounts it, and returns a config pointing at it.
func newSite(t testing.TB) (*fake.Fake, Config, *http.Client) {
	t.Helper()
	fk := fake.NewFake(siteKey, userKey, testSecret)
	mux := http.NewServeMux()
	mux.Handle("/gigya/", http.StripPrefix("/gigya", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{APIKey: siteKey, BaseURL: srv.URL + "/gigya", UserKey: userKey, Secret: testSecret}
	return fk, cfg, egress.Client(egress.Local, 5*time.Second)
}

func mustFetcher(t testing.TB, cfg Config, hc *http.Client) *Fetcher {
	t.Helper()
	f, err := NewFetcher(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func hexHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hs256 is a JWT over body's hash under an HMAC key: an algorithm a jwt
// source never accepts, whatever the key.
func hs256(body []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "profilesync-sandbox-gigya"})
	c, _ := json.Marshal(map[string]any{"apiKey": siteKey, "iat": vectorTime.Unix(), "sha256": bodyHash(body)})
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}
