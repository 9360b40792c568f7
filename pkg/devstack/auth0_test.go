package devstack

import (
	"fmt"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

func auth0Log(logID, typ, sub string, at time.Time) string {
	return fmt.Sprintf(`[{"log_id":%q,"data":{"date":%q,"type":%q,"client_id":"web","user_id":%q,"details":{}}}]`,
		logID, at.UTC().Format(time.RFC3339Nano), typ, sub)
}

// Auth0 through the local stack: a thin log stream signup completed from
// the Management API fake (a cached token per function), an Event Streams
// update that carries its user, a delete, and a wrong token.
func TestAuth0EndToEnd(t *testing.T) {
	s := startStack(t)
	now := time.Now()
	auth := map[string]string{"authorization": sandbox.DevAuth0Authorization, "content-type": "application/json"}

	if st, body := post(t, s.URL+"/webhooks/auth0", map[string]string{"authorization": "Bearer guess-guess-guess"},
		auth0Log("l0", "ss", janeSub, now)); st != 401 || s.totalDepth(t) != 0 {
		t.Fatalf("wrong token: %d %s", st, body)
	}
	if st, body := post(t, s.URL+"/webhooks/auth0", auth, auth0Log("l1", "ss", janeSub, now)); st != 200 {
		t.Fatalf("log stream: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	if c := contact(s, janeSub); c["LastName"] != "Doe" || c["Email"] != "jane.doe@example.com" || c["MobilePhone"] != "+4915112345678" {
		t.Errorf("Jane's contact = %v", c)
	}
	if s.Sandbox.Auth0.Calls("/api/v2/users/"+janeSub) == 0 {
		t.Error("the profile did not come from the Management API")
	}

	const erika = "auth0|677511aa22bb33cc44dd55ee" // not in the fake: the event carries her
	stream := fmt.Sprintf(`{"id":"evt_e2e_1","source":"urn:auth0:acme-dev.us.auth0.com","specversion":"1.0","type":"user.updated","time":%q,`+
		`"data":{"object":{"user_id":%q,"email":"erika@example.com","email_verified":true,"given_name":"Erika","family_name":"Musterfrau",`+
		`"updated_at":%q}}}`, now.UTC().Format(time.RFC3339Nano), erika, now.UTC().Format(time.RFC3339Nano))
	if st, body := post(t, s.URL+"/webhooks/auth0", auth, stream); st != 200 {
		t.Fatalf("event stream: %d %s", st, body)
	}
	eventually(t, "Erika's contact", func() bool { return contact(s, erika) != nil })
	if c := contact(s, erika); c["LastName"] != "Musterfrau" || c["Email"] != "erika@example.com" {
		t.Errorf("Erika's contact = %v", c)
	}

	if st, body := post(t, s.URL+"/webhooks/auth0", auth, auth0Log("l2", "sdu", janeSub, now.Add(time.Second))); st != 200 {
		t.Fatalf("delete: %d %s", st, body)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
	// Each sync function caches its token: at most one request each.
	if n, max := s.Sandbox.Auth0.TokenCalls(), len(s.Queues.Targets()); n == 0 || n > max {
		t.Errorf("%d token requests, want 1 to %d", n, max)
	}
}
