package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func signingInput(alg, kid, payload string) string {
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	return b64(h) + "." + b64([]byte(payload))
}

func TestVerifyHMAC(t *testing.T) {
	in := signingInput("HS256", "k", `{"a":1}`)
	m := hmac.New(sha256.New, []byte("key-1"))
	m.Write([]byte(in))
	tok := in + "." + b64(m.Sum(nil))
	for _, tt := range []struct {
		name string
		tok  string
		keys [][]byte
		ok   bool
	}{
		{"right key", tok, [][]byte{[]byte("key-1")}, true},
		{"rotation: second key", tok, [][]byte{[]byte("old"), []byte("key-1")}, true},
		{"wrong key", tok, [][]byte{[]byte("key-2")}, false},
		{"no keys", tok, nil, false},
		{"alg none", signingInput("none", "k", `{}`) + ".AA", [][]byte{[]byte("key-1")}, false},
		{"RS256 header with an HMAC key", signingInput("RS256", "k", `{}`) + "." + b64(m.Sum(nil)), [][]byte{[]byte("key-1")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.tok))
			if err == nil {
				err = p.VerifyHMAC(tt.keys)
			}
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tok := range []string{"", "a.b", "a.b.c.d", "!!.e30.AA", b64([]byte("x")) + ".e30.AA",
		b64([]byte(`{"alg":"HS256","crit":["exp"]}`)) + ".e30.AA", signingInput("HS256", "", "{}") + "."} {
		if _, err := Parse([]byte(tok)); err == nil {
			t.Errorf("Parse(%q) accepted", tok)
		}
	}
}

func signRSA(t testing.TB, k *rsa.PrivateKey, alg, in string) string {
	d := sha256.Sum256([]byte(in))
	var sig []byte
	var err error
	if alg == "PS256" {
		sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func signES256(t testing.TB, k *ecdsa.PrivateKey, in string) string {
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

// jwksOf renders public keys as a JWKS, by kid.
func jwksOf(keys map[string]crypto.PublicKey) []byte {
	var out []map[string]string
	for kid, k := range keys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			out = append(out, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
		case *ecdsa.PublicKey:
			x, y := make([]byte, 32), make([]byte, 32)
			k.X.FillBytes(x)
			k.Y.FillBytes(y)
			out = append(out, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(x), "y": b64(y)})
		}
	}
	b, _ := json.Marshal(map[string]any{"keys": out})
	return b
}

func TestVerifyKeyAndCache(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write(jwksOf(map[string]crypto.PublicKey{"rsa": &rk.PublicKey, "ec": &ek.PublicKey}))
	}))
	t.Cleanup(srv.Close)
	c := NewCache(srv.URL, "test", srv.Client())
	now := time.Unix(1735725600, 0)
	for _, tt := range []struct {
		name, tok string
		ok        bool
	}{
		{"RS256", signRSA(t, rk, "RS256", signingInput("RS256", "rsa", `{}`)), true},
		{"PS256", signRSA(t, rk, "PS256", signingInput("PS256", "rsa", `{}`)), true},
		{"ES256", signES256(t, ek, signingInput("ES256", "ec", `{}`)), true},
		{"ES256 claiming the RSA kid", signES256(t, ek, signingInput("ES256", "rsa", `{}`)), false},
		{"RS256 claiming the EC kid", signRSA(t, rk, "RS256", signingInput("RS256", "ec", `{}`)), false},
		{"HS256 against a public key", signingInput("HS256", "rsa", `{}`) + ".AAAA", false},
		{"tampered payload", signRSA(t, rk, "RS256", signingInput("RS256", "rsa", `{}`))[:0] + signingInput("RS256", "rsa", `{"x":1}`) + "." + b64(make([]byte, 256)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Parse([]byte(tt.tok))
			if err != nil {
				t.Fatal(err)
			}
			key, err := c.Key(context.Background(), tok.Header.Kid, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := tok.VerifyKey(key); (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if _, err := c.Key(context.Background(), "unknown", now); !errors.Is(err, ErrUnknownKID) {
		t.Fatalf("unknown kid: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 (an unknown kid refetches at most once per %s)", n, MinInterval)
	}
	if _, err := c.Key(context.Background(), "unknown", now.Add(MinInterval)); !errors.Is(err, ErrUnknownKID) || calls.Load() != 2 {
		t.Fatalf("unknown kid after the interval: %v, %d fetches", err, calls.Load())
	}
	if _, err := c.Key(context.Background(), "rsa", now.Add(MaxAge+MinInterval+time.Second)); err != nil {
		t.Fatalf("stale keys refetched: %v", err)
	}
}

func TestCacheUnreachableIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	_, err := NewCache(srv.URL, "test", srv.Client()).Key(context.Background(), "k", time.Now())
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Transient {
		t.Fatalf("err = %v, want a Transient fault", err)
	}
}

func TestParseJWKSSkipsWeakAndOffCurveKeys(t *testing.T) {
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	x, y := make([]byte, 32), make([]byte, 32)
	ek.X.FillBytes(x)
	ek.Y.FillBytes(y)
	y[31] ^= 1
	set := `{"keys":[{"kty":"RSA","kid":"weak","n":"` + b64(weak.N.Bytes()) + `","e":"AQAB"},` +
		`{"kty":"EC","kid":"off","crv":"P-256","x":"` + b64(x) + `","y":"` + b64(y) + `"},` +
		`{"kty":"EC","kid":"curve","crv":"P-999","x":"AA","y":"AA"},{"kty":"oct","kid":"o","k":"AA"}]}`
	if keys, err := ParseJWKS([]byte(set)); err == nil {
		t.Fatalf("accepted %v", keys)
	}
}
