package devstack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// Okta with an OAuth 2.0 service app instead of the API token: the stack
// gets an access token from the fake's /oauth2/v1/token with a
// private_key_jwt assertion and completes the thin event with it.
func TestOktaOAuthEndToEnd(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"kind": "okta", "secrets": []string{sandbox.DevOktaHookSecret},
		"org_url": URLVar + sandbox.Prefix + "/okta", "client_id": "0oaprofilesyncdev",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "okta.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackIn(t, dir)
	s.Sandbox.Okta.AddServiceApp("0oaprofilesyncdev", key.Public(), "okta.users.read", "okta.users.manage")
	auth := map[string]string{"authorization": sandbox.DevOktaHookSecret, "content-type": "application/json"}
	if st, body := post(t, s.URL+"/webhooks/okta", auth, oktaHook("oauth-e1", "user.account.update_profile", maxSub, time.Now())); st != 200 {
		t.Fatalf("okta webhook: %d %s", st, body)
	}
	eventually(t, "Max's contact", func() bool { c := contact(s, maxSub); return c != nil && c["LastName"] == "Mustermann" })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
	// Each function that fetches (a sync per target, the claim verifier)
	// holds its own token, as each Lambda would, and keeps it.
	issued := s.Sandbox.Okta.TokensIssued()
	if issued == 0 {
		t.Fatal("no access token issued")
	}
	if st, body := post(t, s.URL+"/webhooks/okta", auth, oktaHook("oauth-e2", "user.account.update_profile", janeSub, time.Now())); st != 200 {
		t.Fatalf("okta webhook: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
	if n := s.Sandbox.Okta.TokensIssued(); n != issued {
		t.Errorf("%d access tokens after the second event, want the %d cached ones", n, issued)
	}
}
