package devstack

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

func oktaHook(uuid, eventType, sub string, at time.Time) string {
	return fmt.Sprintf(`{"eventType":"com.okta.event_hook","eventTime":%q,"data":{"events":[{"uuid":%q,"published":%q,`+
		`"eventType":%q,"outcome":{"result":"SUCCESS"},"target":[{"id":%q,"type":"User"}]}]}}`,
		at.UTC().Format(time.RFC3339Nano), uuid, at.UTC().Format(time.RFC3339Nano), eventType, sub)
}

// Okta through the local stack: the verification GET, a thin event
// completed from the Users API fake, a delete, and a wrong secret.
func TestOktaEndToEnd(t *testing.T) {
	s := startStack(t)
	now := time.Now()

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/webhooks/okta", nil)
	req.Header.Set("X-Okta-Verification-Challenge", "X6PCxyz7fk9ivZ5Uo1CpXwmqkrZN3fQvAhm3Lh81")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"verification":"X6PCxyz7fk9ivZ5Uo1CpXwmqkrZN3fQvAhm3Lh81"}` {
		t.Fatalf("verification: %d %s", resp.StatusCode, b)
	}

	auth := map[string]string{"authorization": sandbox.DevOktaHookSecret, "content-type": "application/json"}
	if st, body := post(t, s.URL+"/webhooks/okta", map[string]string{"authorization": "guess-guess-guess-guess"},
		oktaHook("e0", "user.account.update_profile", janeSub, now)); st != 401 || s.totalDepth(t) != 0 {
		t.Fatalf("wrong secret: %d %s", st, body)
	}
	if st, body := post(t, s.URL+"/webhooks/okta", auth, oktaHook("e1", "user.account.update_profile", janeSub, now)); st != 200 {
		t.Fatalf("okta webhook: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	for k, v := range map[string]any{"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com",
		"MobilePhone": "+4915112345678", "MailingCity": "Berlin", "MailingCountry": "DE"} {
		if c[k] != v {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], v)
		}
	}
	if n := s.Sandbox.Okta.Calls("/api/v1/users/" + janeSub); n == 0 {
		t.Error("the profile did not come from the Okta Users API")
	}
	eventually(t, "a webhook record", func() bool { return len(s.Sandbox.Webhook.Records()) == 1 })

	if st, body := post(t, s.URL+"/webhooks/okta", auth, oktaHook("e2", "user.lifecycle.delete.initiated", janeSub, now.Add(time.Second))); st != 200 {
		t.Fatalf("okta delete: %d %s", st, body)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
