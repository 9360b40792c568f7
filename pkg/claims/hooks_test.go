package claims

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got (JSON) with testdata/name.json, compactly; with
// -update it writes the file instead.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name+".json")
	if *update {
		var out bytes.Buffer
		if err := json.Indent(&out, got, "", "  "); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, got)
		}
		out.WriteByte('\n')
		if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if g, w := compactJSON(got), compactJSON(want); g != w {
		t.Errorf("answer differs from %s:\n got %s\nwant %s", file, g, w)
	}
}

// The Okta registration inline hook request for self-service
// registration (Identity Engine): requestType at the top level, the form's
// fields in data.userProfile, no user id yet.
const oktaRegistration = `{
  "eventId": "vzYp_zMwQu2htIWRbNJdfw",
  "eventTime": "2026-12-02T10:00:00.000Z",
  "eventType": "com.okta.user.pre-registration",
  "eventTypeVersion": "1.0",
  "contentType": "application/json",
  "cloudEventVersion": "0.1",
  "source": "regt4qeBKU29vSoPz0g3",
  "requestType": "self.service.registration",
  "data": {
    "context": {"request": {"method": "POST", "ipAddress": "127.0.0.1", "id": "123dummyId456", "url": {"value": "/idp/idx/enroll/new"}}},
    "userProfile": {"firstName": "Ada", "lastName": "Example", "login": "ada@example.org", "email": "ada@example.org",
      "declared_role": "health_care_professional", "npi": "1234567893"},
    "action": "ALLOW"
  }
}`

// The progressive profile request: the user's id and current profile in
// data.context.user, the submitted fields in data.userProfileUpdate.
const oktaProgressive = `{
  "eventId": "vzYp_zMwQu2htIWRbNJdfw",
  "eventTime": "2026-12-02T10:00:00.000Z",
  "eventType": "com.okta.user.pre-registration",
  "eventTypeVersion": "1.0",
  "contentType": "application/json",
  "cloudEventVersion": "0.1",
  "source": "regt4qeBKU29vS",
  "requestType": "progressive.profile",
  "data": {
    "context": {
      "request": {"method": "POST", "ipAddress": "127.0.0.1", "id": "123dummyId456", "url": {"value": "/idp/idx/enroll/update"}},
      "user": {"id": "00u48gwcu01WxvNo", "profile": {"firstName": "Ada", "lastName": "Example", "login": "ada@example.org",
        "locale": "en_US", "declared_role": "health_care_professional"}}
    },
    "action": "ALLOW",
    "userProfileUpdate": {"npi": "1234567893"}
  }
}`

// What a Kratos after-settings web hook sends with the Jsonnet
// function(ctx) { identity: ctx.identity }.
const kratosSettings = `{
  "identity": {
    "id": "9f425a8d-7efc-4768-8f23-7647a74fdf13",
    "schema_id": "default",
    "state": "active",
    "traits": {"email": "ada@example.org", "name": {"first": "Ada", "last": "Example"},
      "declared_role": "health_care_professional", "npi": "1234567893"},
    "metadata_public": {"tier": "gold", "hcp_taxonomy": "Old", "hcp_role": "hcp"},
    "verifiable_addresses": [{"id": "d9b1c3f0-0000-4000-8000-000000000001", "value": "ada@example.org", "verified": true,
      "via": "email", "status": "completed"}]
  }
}`

func TestHookOktaRegistration(t *testing.T) {
	a := newAPIFixture(t)
	a.s.set("first", scripted{verdict: Verified, ref: "1234567893"})
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testHookKey}, oktaRegistration)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	golden(t, "okta_registration", w.Body.Bytes())
	if a.s.total() != 2 || a.ciam.updates != 0 || a.queue.Len() != 0 {
		t.Errorf("calls %d, CIAM updates %d, queued %d", a.s.total(), a.ciam.updates, a.queue.Len())
	}
	// The decision is recorded under the registration's stand-in subject,
	// which names no person.
	req, _, err := decodeOkta([]byte(oktaRegistration))
	if err != nil {
		t.Fatal(err)
	}
	if sub := req.Profile.Sub; !strings.HasPrefix(sub, "okta-registration:") || strings.Contains(sub, "ada") {
		t.Errorf("subject %q", sub)
	}
	if h, _ := a.store.History(context.Background(), req.Profile.Sub); len(h) != 1 || h[0].Source != "okta" {
		t.Errorf("history = %+v", h)
	}
	// The Okta caller (whose secret names okta) may use it too.
	if w := a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testOktaKey}, oktaRegistration); w.Code != http.StatusOK {
		t.Errorf("okta caller: %d", w.Code)
	}
}

// A claim still pending lets the registration go on, storing "pending".
func TestHookOktaRegistrationPending(t *testing.T) {
	a := newAPIFixture(t)
	a.s.set("first", down)
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testHookKey}, oktaRegistration)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	golden(t, "okta_registration_pending", w.Body.Bytes())
	// Its stand-in subject names no Okta user: nothing can continue it
	// (Okta's user.lifecycle.create event brings the real id later).
	if a.queue.Len() != 0 {
		t.Errorf("queued %d continuations for a registration's stand-in subject", a.queue.Len())
	}
	// A progressive profile request names the user: its check continues.
	w = a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testHookKey}, oktaProgressive)
	if w.Code != http.StatusOK || len(a.queue.Messages(QueueName)) != 1 {
		t.Errorf("progressive, pending: %d, queued %d: %s", w.Code, a.queue.Len(), w.Body)
	}
}

func TestHookOktaProgressiveProfile(t *testing.T) {
	a := newAPIFixture(t)
	a.s.set("first", scripted{verdict: Verified, ref: "1234567893"})
	a.s.set("second", yes)
	w := a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testHookKey}, oktaProgressive)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	golden(t, "okta_progressive", w.Body.Bytes())
	if h, _ := a.store.History(context.Background(), "00u48gwcu01WxvNo"); len(h) != 1 || h[0].Verdict != Verified {
		t.Errorf("history under the Okta user id = %+v", h)
	}
}

func TestHookOktaBadRequests(t *testing.T) {
	for name, body := range map[string]string{
		"wrong eventType": strings.Replace(oktaRegistration, "com.okta.user.pre-registration", "com.okta.import.transform", 1),
		"no eventType":    `{"data": {"userProfile": {"email": "SECRET-123@example.org"}}}`,
		"no login":        `{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": {"firstName": "SECRET-123"}}}`,
		"not JSON":        `{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": {"email": "SECRET-123`,
		"wrong type":      `{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": ["SECRET-123"]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			a := newAPIFixture(t)
			w := a.call(t, http.MethodPost, VerifyPath+"?format=okta", map[string]string{"X-API-Key": testHookKey}, body)
			if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), "SECRET") || strings.Contains(w.Body.String(), "ada") {
				t.Errorf("status %d: %s", w.Code, w.Body)
			}
			if a.s.total() != 0 {
				t.Errorf("authority calls %d", a.s.total())
			}
		})
	}
}

func TestHookKratosSettings(t *testing.T) {
	for name, second := range map[string]scripted{"verified": yes, "rejected": no} {
		t.Run(name, func(t *testing.T) {
			a := newAPIFixture(t)
			a.s.set("first", scripted{verdict: Verified, ref: "1234567893"})
			a.s.set("second", second)
			w := a.call(t, http.MethodPost, VerifyPath+"?format=kratos", map[string]string{"X-API-Key": testHookKey}, kratosSettings)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			golden(t, "kratos_settings_"+name, w.Body.Bytes())
			var got struct {
				Identity struct {
					MetadataPublic map[string]any `json:"metadata_public"`
				} `json:"identity"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			m := got.Identity.MetadataPublic
			if m["tier"] != "gold" || m["hcp_status"] != name {
				t.Errorf("metadata_public = %v", m)
			}
			if _, ok := m["hcp_taxonomy"]; ok {
				t.Errorf("hcp_taxonomy survived its nil: %v", m)
			}
			if _, ok := m["hcp_role"]; ok != (name == "verified") {
				t.Errorf("hcp_role: %v", m)
			}
			if h, _ := a.store.History(context.Background(), "9f425a8d-7efc-4768-8f23-7647a74fdf13"); len(h) != 1 || h[0].Source != "kratos" {
				t.Errorf("history = %+v", h)
			}
			if a.ciam.updates != 0 {
				t.Errorf("CIAM updates %d; the hook's answer carries the verdict", a.ciam.updates)
			}
		})
	}
}

// The verified address is what sets email_verified; an unverified one
// does not.
func TestKratosDecodeEmailVerified(t *testing.T) {
	req, err := decodeKratos([]byte(kratosSettings))
	if err != nil {
		t.Fatal(err)
	}
	p := req.Profile
	if !p.EmailVerified || p.GivenName != "Ada" || p.FamilyName != "Example" || p.Custom["npi"] != "1234567893" || p.Custom["tier"] != "gold" {
		t.Errorf("profile = %+v", p)
	}
	req, err = decodeKratos([]byte(strings.Replace(kratosSettings, `"verified": true`, `"verified": false`, 1)))
	if err != nil || req.Profile.EmailVerified {
		t.Errorf("unverified address: %+v %v", req.Profile, err)
	}
}

func TestHookKratosBadRequests(t *testing.T) {
	for name, body := range map[string]string{
		"no identity":    `{"traits": {"email": "SECRET-123@example.org"}}`,
		"no identity.id": `{"identity": {"traits": {"email": "SECRET-123@example.org"}}}`,
		"empty id":       `{"identity": {"id": "", "traits": {"email": "SECRET-123@example.org"}}}`,
		"wrong type":     `{"identity": {"id": "x", "traits": ["SECRET-123"]}}`,
		"not JSON":       `{"identity": {"id": "SECRET-123`,
	} {
		t.Run(name, func(t *testing.T) {
			a := newAPIFixture(t)
			w := a.call(t, http.MethodPost, VerifyPath+"?format=kratos", map[string]string{"X-API-Key": testHookKey}, body)
			if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), "SECRET") {
				t.Errorf("status %d: %s", w.Code, w.Body)
			}
			if a.s.total() != 0 {
				t.Errorf("authority calls %d", a.s.total())
			}
		})
	}
	// A caller that speaks for Okta cannot send a Kratos hook.
	a := newAPIFixture(t)
	if w := a.call(t, http.MethodPost, VerifyPath+"?format=kratos", map[string]string{"X-API-Key": testOktaKey}, kratosSettings); w.Code != http.StatusForbidden {
		t.Errorf("okta caller, kratos hook: %d", w.Code)
	}
}

// compactJSON is b without insignificant space (b itself when it is not
// JSON), for comparing goldens.
func compactJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
