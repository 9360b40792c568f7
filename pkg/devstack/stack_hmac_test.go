package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
	fafake "github.com/profilesync/profilesync/pkg/sandbox/fusionauth"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/fusionauth"
	"github.com/profilesync/profilesync/pkg/source/keycloak"
	"github.com/profilesync/profilesync/pkg/source/logto"
	"github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/source/zitadel"
)

// The raw webhooks in events/webhooks (what `profilesync send SOURCE FILE`
// posts) sign with the dev secrets and decode to one event of a demo user.
func TestRawWebhookSamplesHMAC(t *testing.T) {
	dev := sandbox.DevSecrets("http://127.0.0.1:3000")
	for _, tt := range []struct{ source, file, subject string }{
		{"keycloak", "keycloak-update-profile.json", maxSub},
		{"zitadel", "zitadel-user-profile-changed.json", maxSub},
		{"logto", "logto-post-register.json", maxSub},
		{"generic", "generic-kratos-settings-after.json", maxSub},
		{"fusionauth", "fusionauth-user-update.json", maxSub},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(eventsDir, "webhooks", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			w, err := Sign(dev[tt.source], body, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := registry.New(tt.source, dev[tt.source], nil)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := p.Parse(context.Background(), source.Request{Header: w.Header, Query: w.Query, Body: w.Body, Now: now})
			if err != nil || len(evs) != 1 || evs[0].Subject != tt.subject {
				t.Fatalf("%+v %v", evs, err)
			}
		})
	}
}

// The HMAC-signed sources end to end through the local stack: a signed
// thin event in, the profile completed from the sandbox fake's users API,
// the record at the Salesforce fake; then a delete removes it.

// janeContact is what the sandbox's demo Jane becomes in Salesforce when
// her profile comes from a source without consents.
var janeContact = map[string]any{"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com",
	"MobilePhone": "+4915112345678", "MailingStreet": "Hauptstr. 1", "MailingCity": "Berlin", "MailingPostalCode": "10115",
	"MailingCountry": "DE", "Birthdate": "1990-04-01", "LeadSource": "ProfileSync"}

func keycloakEvent(typ, sub string, at time.Time) string {
	who := sub
	if typ[:6] == "admin." {
		who = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" // the admin
	}
	return fmt.Sprintf(`{"time":%d,"realmId":"profilesync","uid":"kc-%s-%d","type":%q,`+
		`"authDetails":{"realmId":"profilesync","clientId":"account-console","userId":%q},`+
		`"resourcePath":"users/%s","details":{"userId":%q}}`, at.UnixMilli(), typ, at.UnixNano(), typ, who, sub, sub)
}

func keycloakHeaders(body string) map[string]string {
	return map[string]string{"content-type": "application/json",
		keycloak.SignatureHeader: keycloak.Signature(sandbox.DevKeycloakSecret, "", []byte(body))}
}

func TestEndToEndKeycloak(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	body := keycloakEvent("access.UPDATE_PROFILE", janeSub, now)
	if st, b := post(t, s.URL+"/webhooks/keycloak", keycloakHeaders(body), body); st != 200 {
		t.Fatalf("keycloak webhook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for k, v := range janeContact {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}
	if n := s.Sandbox.Keycloak.Calls("/admin/realms/" + sandbox.DevKeycloakRealm + "/users/" + janeSub); n == 0 {
		t.Error("the profile did not come from the Keycloak fake")
	}

	// A tampered delivery is refused; an admin delete removes the contact.
	del := keycloakEvent("admin.USER-DELETE", janeSub, now.Add(time.Second))
	if st, _ := post(t, s.URL+"/webhooks/keycloak", keycloakHeaders(del), del+" "); st != 401 {
		t.Fatalf("tampered keycloak webhook: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/keycloak", keycloakHeaders(del), del); st != 200 {
		t.Fatalf("keycloak delete: %d %s", st, b)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

func zitadelEvent(typ, sub string, seq int, at time.Time) string {
	return fmt.Sprintf(`{"aggregateID":%q,"aggregateType":"user","resourceOwner":"336392597046099971","instanceID":"336392597046034435",`+
		`"version":"v2","sequence":%d,"event_type":%q,"created_at":%q,"userID":"336392597046755331","event_payload":{}}`,
		sub, seq, typ, at.UTC().Format(time.RFC3339Nano))
}

func zitadelHeaders(body string, at time.Time) map[string]string {
	return map[string]string{"content-type": "application/json",
		zitadel.SignatureHeader: zitadel.Signature(sandbox.DevZitadelKey, at, []byte(body))}
}

func TestEndToEndZitadel(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	body := zitadelEvent("user.human.added", janeSub, 1, now)
	if st, b := post(t, s.URL+"/webhooks/zitadel", zitadelHeaders(body, now), body); st != 200 {
		t.Fatalf("zitadel webhook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	// The v2 user has no address or birthdate; the rest is Jane's.
	c := contact(s, janeSub)
	for _, k := range []string{"FirstName", "LastName", "Email", "MobilePhone", "LeadSource"} {
		if c[k] != janeContact[k] {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], janeContact[k])
		}
	}
	if n := s.Sandbox.Zitadel.Calls("/v2/users/" + janeSub); n == 0 {
		t.Error("the profile did not come from the ZITADEL fake")
	}

	// A replay from eleven minutes ago is refused; user.removed deletes.
	old := now.Add(-11 * time.Minute)
	del := zitadelEvent("user.removed", janeSub, 2, now.Add(time.Second))
	if st, _ := post(t, s.URL+"/webhooks/zitadel", zitadelHeaders(del, old), del); st != 401 {
		t.Fatalf("stale zitadel webhook: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/zitadel", zitadelHeaders(del, now), del); st != 200 {
		t.Fatalf("zitadel delete: %d %s", st, b)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

func logtoHeaders(body string) map[string]string {
	return map[string]string{"content-type": "application/json", "user-agent": "Logto (https://logto.io/)",
		logto.SignatureHeader: logto.Signature(sandbox.DevLogtoKey, []byte(body))}
}

func TestEndToEndLogto(t *testing.T) {
	s := startStack(t)
	now := time.Now().UTC()
	// PostRegister's user is a summary, so the profile is fetched.
	body := fmt.Sprintf(`{"hookId":"hk_1","event":"PostRegister","createdAt":%q,"interactionEvent":"Register","userId":%q,`+
		`"user":{"id":%q},"applicationId":"app9k2m4n6p8"}`, now.Format(time.RFC3339Nano), janeSub, janeSub)
	if st, b := post(t, s.URL+"/webhooks/logto", logtoHeaders(body), body); st != 200 {
		t.Fatalf("logto webhook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for k, v := range janeContact {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}
	if n := s.Sandbox.Logto.Calls("/api/users/" + janeSub); n == 0 {
		t.Error("the profile did not come from the Logto fake")
	}

	del := fmt.Sprintf(`{"hookId":"hk_1","event":"User.Deleted","createdAt":%q,"path":"/users/%s","method":"DELETE","status":204,`+
		`"params":{"userId":%q},"data":null}`, now.Add(time.Second).Format(time.RFC3339Nano), janeSub, janeSub)
	if st, _ := post(t, s.URL+"/webhooks/logto", map[string]string{logto.SignatureHeader: logto.Signature("guess", []byte(del))}, del); st != 401 {
		t.Fatalf("logto webhook signed with another key: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/logto", logtoHeaders(del), del); st != 200 {
		t.Fatalf("logto delete: %d %s", st, b)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

func fusionAuthEvent(t *testing.T, typ, id string, user map[string]any, at time.Time) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"event": map[string]any{"type": typ, "id": id, "createInstant": at.UnixMilli(),
		"tenantId": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "user": user}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fusionAuthHeaders(key, body string) map[string]string {
	return map[string]string{"content-type": "application/json",
		fusionauth.SignatureHeader: fusionauth.SignHS256(key, sandbox.DevFusionAuthKID, []byte(body))}
}

func TestEndToEndFusionAuth(t *testing.T) {
	s := startStack(t)
	profiles, err := sandbox.DemoProfiles()
	if err != nil {
		t.Fatal(err)
	}
	var jane map[string]any
	for _, p := range profiles {
		if p.Sub == janeSub {
			jane = fafake.UserJSON(p)
		}
	}
	if jane == nil {
		t.Fatal("no Jane among the demo profiles")
	}
	// The event carries the user: the contact needs no fetch.
	now := time.Now()
	body := fusionAuthEvent(t, "user.create.complete", "8d7c6b5a-0001-4000-8000-000000000001", jane, now)
	if st, b := post(t, s.URL+"/webhooks/fusionauth", fusionAuthHeaders(sandbox.DevFusionAuthKey, body), body); st != 200 {
		t.Fatalf("fusionauth webhook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for _, k := range []string{"FirstName", "LastName", "Email", "MobilePhone", "Birthdate", "LeadSource"} {
		if c[k] != janeContact[k] {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], janeContact[k])
		}
	}
	if n := s.Sandbox.FusionAuth.Calls("/api/user/" + janeSub); n != 0 {
		t.Errorf("%d fetches of a user the event carried", n)
	}

	// Signed with another key, or a body changed after signing: 401.
	del := fusionAuthEvent(t, "user.delete.complete", "8d7c6b5a-0002-4000-8000-000000000002", map[string]any{"id": janeSub}, now.Add(time.Second))
	if st, _ := post(t, s.URL+"/webhooks/fusionauth", fusionAuthHeaders("another-key-of-32-characters-or-more", del), del); st != 401 {
		t.Fatalf("fusionauth webhook signed with another key: %d, want 401", st)
	}
	h := fusionAuthHeaders(sandbox.DevFusionAuthKey, body)
	if st, _ := post(t, s.URL+"/webhooks/fusionauth", h, del); st != 401 {
		t.Fatalf("fusionauth webhook with another body: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/fusionauth", fusionAuthHeaders(sandbox.DevFusionAuthKey, del), del); st != 200 {
		t.Fatalf("fusionauth delete: %d %s", st, b)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
