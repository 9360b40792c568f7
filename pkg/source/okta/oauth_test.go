package okta

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/okta"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}

func pkcs8PEM(t *testing.T, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// oauthSite serves an Okta fake under a path prefix, as the local stack
// mounts it, with one user and the service app "0oaservice" holding pub.
func oauthSite(t *testing.T, pub crypto.PublicKey, granted ...string) (*okta.Fake, string) {
	t.Helper()
	fake := okta.NewFake("00tok")
	fake.Put(&profile.Profile{Sub: "00u1", Email: "jane@example.com", GivenName: "Jane"})
	fake.AddServiceApp("0oaservice", pub, granted...)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/okta/", http.StripPrefix("/sandbox/okta", fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return fake, srv.URL + "/sandbox/okta"
}

func oauthFetcher(t *testing.T, org string, key crypto.Signer, extra map[string]any) *Fetcher {
	t.Helper()
	m := map[string]any{"secrets": []string{"0123456789abcdef"}, "org_url": org, "client_id": "0oaservice", "private_key": pkcs8PEM(t, key)}
	for k, v := range extra {
		m[k] = v
	}
	raw, _ := json.Marshal(m)
	cfg, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFetcher(cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOAuthFetchAndUpdate(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"RS256": testRSAKey(t), "ES256": ec} {
		t.Run(name, func(t *testing.T) {
			fake, org := oauthSite(t, key.Public(), "okta.users.read", "okta.users.manage")
			f := oauthFetcher(t, org, key, nil)
			ctx := context.Background()
			for range 2 {
				if p, err := f.Fetch(ctx, "00u1"); err != nil || p.GivenName != "Jane" {
					t.Fatalf("fetch: %+v %v", p, err)
				}
			}
			if err := f.Update(ctx, "00u1", map[string]any{"loyaltyTier": "gold"}); err != nil {
				t.Fatal(err)
			}
			if n := fake.TokensIssued(); n != 1 {
				t.Fatalf("%d tokens for three calls, want one cached", n)
			}
			// A token revoked before its expiry: one 401, a fresh token, the call again.
			fake.RevokeTokens()
			if _, err := f.Fetch(ctx, "00u1"); err != nil || fake.TokensIssued() != 2 {
				t.Fatalf("after revocation: %v, %d tokens", err, fake.TokensIssued())
			}
		})
	}
}

func TestOAuthFailures(t *testing.T) {
	key := testRSAKey(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// The app holds another public key: the token request is refused.
	_, org := oauthSite(t, other.Public(), "okta.users.read", "okta.users.manage")
	if _, err := oauthFetcher(t, org, key, nil).Fetch(ctx, "00u1"); fault.ClassOf(err) != fault.Auth {
		t.Errorf("wrong key: %v (class %v), want auth", err, fault.ClassOf(err))
	}
	// A scope the app was not granted.
	_, org = oauthSite(t, key.Public(), "okta.users.read")
	if _, err := oauthFetcher(t, org, key, nil).Fetch(ctx, "00u1"); fault.ClassOf(err) != fault.Permanent ||
		!strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("scope not granted: %v", err)
	}
	// Read-only: fetch works, the write-back is refused for its scope.
	f := oauthFetcher(t, org, key, map[string]any{"scopes": []string{"okta.users.read"}})
	if _, err := f.Fetch(ctx, "00u1"); err != nil {
		t.Errorf("read-only fetch: %v", err)
	}
	if err := f.Update(ctx, "00u1", map[string]any{"loyaltyTier": "gold"}); err == nil || fault.ClassOf(err) != fault.Permanent {
		t.Errorf("read-only update: %v", err)
	}
}

func TestOAuthConfig(t *testing.T) {
	key := pkcs8PEM(t, testRSAKey(t))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(m map[string]any) string {
		m["secrets"], m["org_url"] = []string{"0123456789abcdef"}, "https://a.okta.com"
		b, _ := json.Marshal(m)
		return string(b)
	}
	c, err := ParseConfig([]byte(enc(map[string]any{"client_id": "0oa1", "private_key": key})))
	if err != nil || strings.Join(c.Scopes, " ") != "okta.users.read okta.users.manage" || strings.Contains(c.String(), "PRIVATE") {
		t.Fatalf("%v %v", c, err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testRSAKey(t))}))
	if _, err := ParseConfig([]byte(enc(map[string]any{"client_id": "0oa1", "private_key": pkcs1}))); err != nil {
		t.Fatalf("PKCS#1: %v", err)
	}
	for name, tt := range map[string]struct {
		m    map[string]any
		want string
	}{
		"both":            {map[string]any{"api_token": "t", "client_id": "0oa1", "private_key": key}, `"api_token"`},
		"neither":         {map[string]any{}, `"api_token"`},
		"no key":          {map[string]any{"client_id": "0oa1"}, `"private_key"`},
		"no client":       {map[string]any{"private_key": key}, `"client_id"`},
		"not PEM":         {map[string]any{"client_id": "0oa1", "private_key": "MIIE..."}, `"private_key"`},
		"RSA 1024":        {map[string]any{"client_id": "0oa1", "private_key": pkcs8PEM(t, small)}, `"private_key"`},
		"public key only": {map[string]any{"client_id": "0oa1", "private_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, `"private_key"`},
		"blank scope":     {map[string]any{"client_id": "0oa1", "private_key": key, "scopes": []string{"okta.users.read", "a b"}}, `"scopes[1]"`},
	} {
		_, err := ParseConfig([]byte(enc(tt.m)))
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: %v does not name %s", name, err, tt.want)
		}
	}
}
