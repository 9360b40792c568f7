package ssf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/source"
)

const (
	testIssuer   = "https://idp.example.com/"
	testAudience = "https://profilesync.example.com/ssf"
	testKID      = "transmitter-key-2025-01"
	testBearer   = "Bearer ssf-stream-secret-0123456789"
)

var testNow = time.Unix(1735815700, 0).UTC()

// transmitter is a fake SSF transmitter: its keys, and its JWKS served on
// 127.0.0.1.
type transmitter struct {
	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	url   string
	calls *atomic.Int32
}

func newTransmitter(t testing.TB) *transmitter {
	t.Helper()
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]byte, 32), make([]byte, 32)
	ek.X.FillBytes(x)
	ek.Y.FillBytes(y)
	body, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "EC", "kid": testKID, "crv": "P-256", "x": b64(x), "y": b64(y), "use": "sig"},
		{"kty": "RSA", "kid": "rsa-1", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
	}})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return &transmitter{ec: ek, rsa: rk, url: srv.URL + "/jwks", calls: &n}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign makes a compact SET of claims: ES256 with the EC key under
// testKID, or RS256 with the RSA key under "rsa-1".
func (tr *transmitter) sign(t testing.TB, header map[string]string, claims any) string {
	t.Helper()
	h := map[string]string{"typ": "secevent+jwt", "alg": "ES256", "kid": testKID}
	for k, v := range header {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	cb, ok := claims.([]byte)
	if !ok {
		cb, _ = json.Marshal(claims)
	}
	in := b64(hb) + "." + b64(cb)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	if h["alg"] == "RS256" {
		s, err := rsa.SignPKCS1v15(rand.Reader, tr.rsa, crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	} else {
		r, s, err := ecdsa.Sign(rand.Reader, tr.ec, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return in + "." + b64(sig)
}

// sample is a research sample's decoded SET.
type sample struct {
	Header map[string]string `json:"header"`
	Claims map[string]any    `json:"claims"`
}

func loadSample(t testing.TB, name string) sample {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func testConfig(jwksURL string) Config {
	return Config{Environment: "prod", JWKSURL: jwksURL, Issuer: testIssuer, Audience: testAudience}
}

func mustParser(t testing.TB, cfg Config) *Parser {
	t.Helper()
	p, err := NewParser("ssf-idp", cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(set string, headers map[string]string) source.Request {
	h := http.Header{}
	h.Set("Content-Type", "application/secevent+jwt")
	for k, v := range headers {
		h.Set(k, v)
	}
	return source.Request{Header: h, Body: []byte(set), Now: testNow}
}
