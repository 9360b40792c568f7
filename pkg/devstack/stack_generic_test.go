package devstack

import (
	"fmt"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// kratosHook is what the README's Jsonnet template renders for an Ory
// Kratos after-settings (or after-registration) hook.
func kratosHook(event, flow, sub string, at time.Time) string {
	return fmt.Sprintf(`{"event":%q,"flow_id":%q,"identity_id":%q,"schema_id":"customer","state":"active",`+
		`"traits":{"email":"jane.doe@example.com","name":{"first":"Jane","last":"Doe"},"consents":{"newsletter":true}},`+
		`"verified_email":true,"updated_at":%q}`, event, flow, sub, at.Format(time.RFC3339Nano))
}

// The generic source end to end: a Kratos-shaped hook with the API key
// in, the traits it carries at the sandbox Salesforce; a wrong key is
// refused; a type the secret does not map is acknowledged and dropped.
func TestEndToEndGenericKratos(t *testing.T) {
	s := startStack(t)
	now := time.Now().UTC()
	hdr := func(key string) map[string]string {
		return map[string]string{"content-type": "application/json", "x-webhook-secret": key}
	}
	body := kratosHook("settings.after", "flow-e2e-1", janeSub, now)
	if st, _ := post(t, s.URL+"/webhooks/generic", hdr(sandbox.DevGenericAPIKey+"-guess"), body); st != 401 {
		t.Fatalf("generic hook with a wrong key: %d, want 401", st)
	}
	if st, _ := post(t, s.URL+"/webhooks/generic", nil, body); st != 401 {
		t.Fatalf("generic hook without a key: %d, want 401", st)
	}
	if st, b := post(t, s.URL+"/webhooks/generic", hdr(sandbox.DevGenericAPIKey), body); st != 200 {
		t.Fatalf("generic hook: %d %s", st, b)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for k, v := range map[string]any{"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com"} {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })

	login := kratosHook("login.after", "flow-e2e-2", maxSub, now.Add(time.Second))
	if st, b := post(t, s.URL+"/webhooks/generic", hdr(sandbox.DevGenericAPIKey), login); st != 200 {
		t.Fatalf("unmapped type: %d %s", st, b)
	}
	if contact(s, maxSub) != nil || s.totalDepth(t) != 0 {
		t.Fatal("an unmapped type was synced")
	}
}
