package devstack

import (
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// A sender clock far ahead must not outrank the subject's later events:
// the erasure that follows still reaches the back-end.

func TestCidaasEventFrom2099DoesNotBlockTheDelete(t *testing.T) {
	s := startStack(t)
	key := map[string]string{"apikey": sandbox.DevCidaasAPIKey, "content-type": "application/json"}
	if st, body := post(t, s.URL+"/webhooks/cidaas", key,
		cidaasBody("ACCOUNT_MODIFIED", janeSub, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))); st != 200 {
		t.Fatalf("cidaas webhook: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })

	s.Sandbox.Cidaas.Delete(janeSub)
	if st, body := post(t, s.URL+"/webhooks/cidaas", key, cidaasBody("ACCOUNT_DELETED", janeSub, time.Now())); st != 200 {
		t.Fatalf("cidaas delete: %d %s", st, body)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

func TestAkamaiSETIssuedADayAheadDoesNotBlockTheDelete(t *testing.T) {
	s := startStack(t)
	send := func(name, id string, iat time.Time) {
		t.Helper()
		set, err := s.Sandbox.Akamai.Sign(map[string]any{
			"iss": sandbox.AkamaiIssuer, "aud": s.URL + "/webhooks/akamai", "iat": iat.Unix(), "jti": "jti-" + id,
			"events": map[string]any{name: map[string]any{"sub": maxSub, "id": id, "entityType": "user"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if st, body := post(t, s.URL+"/webhooks/akamai", map[string]string{"content-type": "application/secevent+jwt"}, string(set)); st != 200 {
			t.Fatalf("akamai %s: %d %s", name, st, body)
		}
	}
	send("entityUpdated", "akamai-ahead-1", time.Now().Add(24*time.Hour))
	eventually(t, "Max's contact", func() bool { return contact(s, maxSub) != nil })

	s.Sandbox.Akamai.Delete(maxSub)
	send("entityDeleted", "akamai-ahead-2", time.Now())
	eventually(t, "Max's contact deleted", func() bool { return contact(s, maxSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
