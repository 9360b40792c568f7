package devstack

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/gigya"
	"github.com/profilesync/profilesync/pkg/source/registry"
)

func gigyaNotification(typ, id, uid string, at time.Time) string {
	return fmt.Sprintf(`{"events":[{"type":%q,"id":%q,"timestamp":%d,"callId":"c0ffee","version":"2.0","apiKey":%q,"data":{"uid":%q}}],`+
		`"nonce":"n-%s","timestamp":%d}`, typ, id, at.Unix(), sandbox.DevGigyaAPIKey, uid, id, at.Unix())
}

// The raw webhook sample of `profilesync send gigya` signs with the dev
// secret and decodes to one event of a demo account.
func TestRawWebhookSampleGigya(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(eventsDir, "webhooks", "gigya-account-updated.json"))
	if err != nil {
		t.Fatal(err)
	}
	dev := sandbox.DevSecrets("http://127.0.0.1:3000")
	now := time.Now()
	w, err := Sign(dev["gigya"], body, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := registry.New("gigya", dev["gigya"], egress.Client(egress.Local, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := p.Parse(context.Background(), source.Request{Header: w.Header, Query: w.Query, Body: w.Body, Now: now})
	if err != nil || len(evs) != 1 || evs[0].Subject != maxSub {
		t.Fatalf("%+v %v", evs, err)
	}
}

func gigyaHeaders(body string) map[string]string {
	key, _ := base64.StdEncoding.DecodeString(sandbox.DevGigyaSecret)
	return map[string]string{"content-type": "application/json", gigya.HMACHeader: gigya.Signature(key, []byte(body))}
}

// SAP CDC end to end through the local stack: a signed thin notification
// in, the account fetched from the Gigya fake, the contact at the
// Salesforce fake; an account change made through setAccountInfo comes
// back as the fake's own signed accountUpdated; a delete removes the
// contact.
func TestEndToEndGigya(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	body := gigyaNotification("accountUpdated", "e2e-gigya-1", janeSub, now)
	if st, b := post(t, s.URL+"/webhooks/gigya", gigyaHeaders(body), body); st != 200 {
		t.Fatalf("gigya webhook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for k, v := range janeContact {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}
	if n := s.Sandbox.Gigya.Calls("/accounts.getAccountInfo"); n == 0 {
		t.Error("the account did not come from the Gigya fake")
	}

	// A change through the accounts API: the fake announces it with a
	// signed webhook, which syncs the new name.
	form := url.Values{"apiKey": {sandbox.DevGigyaAPIKey}, "userKey": {sandbox.DevGigyaUserKey}, "secret": {sandbox.DevGigyaSecret},
		"UID": {janeSub}, "profile": {`{"firstName":"Janet"}`}}
	if st, b := post(t, s.URL+sandbox.Prefix+"/gigya/accounts.setAccountInfo", map[string]string{"content-type": "application/x-www-form-urlencoded"},
		form.Encode()); st != 200 || !strings.Contains(b, `"errorCode":0`) {
		t.Fatalf("setAccountInfo: %d %s", st, b)
	}
	eventually(t, "Janet's contact", func() bool { c := contact(s, janeSub); return c != nil && c["FirstName"] == "Janet" })

	// A tampered delivery is refused; a delete removes the contact. Its
	// time follows the fake's announcement (stamped when it was sent), or
	// the delete would be older than the update and rightly ignored.
	del := gigyaNotification("accountDeleted", "e2e-gigya-2", janeSub, time.Now().Add(2*time.Second))
	if st, _ := post(t, s.URL+"/webhooks/gigya", gigyaHeaders(del), strings.Replace(del, "accountDeleted", "accountUpdated", 1)); st != 401 {
		t.Fatalf("tampered gigya webhook: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/gigya", gigyaHeaders(del), del); st != 200 {
		t.Fatalf("gigya delete: %d %s", st, b)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

// The JWT scheme through the stack: the parser reads the site's public key
// from the Gigya fake's accounts.getJWTPublicKey, and an HMAC signature
// alone no longer gets in.
func TestEndToEndGigyaJWT(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`{"kind":"gigya","api_key":%q,"base_url":%q,"user_key":%q,"secret":%q,"signature":"jwt","tolerance_seconds":600}`,
		sandbox.DevGigyaAPIKey, URLVar+sandbox.Prefix+"/gigya", sandbox.DevGigyaUserKey, sandbox.DevGigyaSecret)
	if err := os.WriteFile(filepath.Join(secrets, "gigya.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStackIn(t, dir)
	body := gigyaNotification("accountUpdated", "e2e-gigya-jwt-1", maxSub, time.Now())
	if st, _ := post(t, s.URL+"/webhooks/gigya", gigyaHeaders(body), body); st != 401 {
		t.Fatalf("an HMAC signature for a jwt source: %d, want 401", st)
	}
	tok, err := s.Sandbox.Gigya.SignJWT([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"content-type": "application/json", gigya.JWTHeader: tok}
	if st, _ := post(t, s.URL+"/webhooks/gigya", h, body+" "); st != 401 {
		t.Fatalf("a JWT over another body: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/gigya", h, body); st != 200 {
		t.Fatalf("gigya JWT webhook: %d %s", st, b)
	}
	eventually(t, "Max's contact", func() bool { c := contact(s, maxSub); return c != nil && c["LastName"] == "Mustermann" })
	if n := s.Sandbox.Gigya.Calls("/accounts.getJWTPublicKey"); n != 1 {
		t.Errorf("%d key fetches, want one (cached)", n)
	}
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
