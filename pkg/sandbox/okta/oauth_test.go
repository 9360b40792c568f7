package okta

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
)

func assertion(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": alg})
	c, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + enc.EncodeToString(sig)
}

// The token endpoint checks a private_key_jwt assertion as Okta
// documents it, and the access token is good for its scopes only.
func TestTokenEndpoint(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFake("00tok")
	f.Put(&profile.Profile{Sub: "00u1", Email: "a@example.com"})
	f.AddServiceApp("0oa1", &key.PublicKey, "okta.users.read")
	srv := httptest.NewServer(f)
	defer srv.Close()
	hc := egress.Client(egress.Local, 5*time.Second)
	aud := srv.URL + "/oauth2/v1/token"
	now := time.Now()
	claims := func(kv ...any) map[string]any {
		c := map[string]any{"iss": "0oa1", "sub": "0oa1", "aud": aud, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": now.String()}
		for i := 0; i+1 < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	token := func(a, scope string) (int, map[string]any) {
		resp, err := hc.PostForm(aud, url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	good := assertion(t, key, "RS256", claims())
	st, out := token(good, "okta.users.read")
	if st != 200 || out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) {
		t.Fatalf("%d %v", st, out)
	}
	get := func(auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/users/00u1", nil)
		req.Header.Set("Authorization", auth)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get("Bearer " + out["access_token"].(string)); st != 200 {
		t.Fatalf("read with the token: %d", st)
	}
	if st := get("Bearer nope"); st != 401 {
		t.Fatalf("unknown token: %d", st)
	}
	for _, tt := range []struct {
		name, assertion, scope, want string
	}{
		{"replayed jti", good, "okta.users.read", "invalid_client"},
		{"wrong aud", assertion(t, key, "RS256", claims("aud", srv.URL+"/oauth2/default/v1/token", "jti", "j2")), "okta.users.read", "invalid_client"},
		{"sub is not iss", assertion(t, key, "RS256", claims("sub", "0oa2", "jti", "j3")), "okta.users.read", "invalid_client"},
		{"expired", assertion(t, key, "RS256", claims("exp", now.Add(-time.Second).Unix(), "jti", "j4")), "okta.users.read", "invalid_client"},
		{"lives over an hour", assertion(t, key, "RS256", claims("exp", now.Add(61*time.Minute).Unix(), "jti", "j5")), "okta.users.read", "invalid_client"},
		{"unknown client", assertion(t, key, "RS256", claims("iss", "0oa9", "sub", "0oa9", "jti", "j6")), "okta.users.read", "invalid_client"},
		{"alg none", strings.Join(strings.Split(assertion(t, key, "none", claims("jti", "j7")), ".")[:2], ".") + ".", "okta.users.read", "invalid_client"},
		{"scope not granted", assertion(t, key, "RS256", claims("jti", "j8")), "okta.users.manage", "invalid_scope"},
		{"no scope", assertion(t, key, "RS256", claims("jti", "j9")), "", "invalid_scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if st, out := token(tt.assertion, tt.scope); st/100 != 4 || out["error"] != tt.want {
				t.Fatalf("%d %v, want %s", st, out, tt.want)
			}
		})
	}
}
