package devstack

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// The example mappings drive every connector that has a sandbox fake from
// one cidaas webhook: each back-end gets Jane's record, and the delete
// removes it wherever the mapping subscribes to deletes.
func TestExampleMappingsReachEveryConnector(t *testing.T) {
	s, err := Start(context.Background(), Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Mappings: os.DirFS("../../examples/mappings"),
		VisibilityTimeout: 2 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sb := s.Sandbox
	counts := func() map[string]int {
		return map[string]int{
			"salesforce": len(sb.Salesforce.Records("Contact")), "webhook": len(sb.Webhook.Records()),
			"hubspot": len(sb.HubSpot.Records()), "brevo": len(sb.Brevo.Records()),
			"mailchimp": len(sb.Mailchimp.Records()), "braze": len(sb.Braze.Records()),
			"zuora": len(sb.Zuora.Records()), "scim": len(sb.SCIM.Records()),
		}
	}
	all := func(n int, except ...string) func() bool {
		return func() bool {
			skip := map[string]bool{}
			for _, e := range except {
				skip[e] = true
			}
			for name, c := range counts() {
				if !skip[name] && c != n {
					return false
				}
			}
			return true
		}
	}
	now := time.Now()
	key := map[string]string{"apikey": sandbox.DevCidaasAPIKey}
	if st, body := post(t, s.URL+"/webhooks/cidaas", key, cidaasBody("ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", janeSub, now)); st != 200 {
		t.Fatalf("create: %d %s", st, body)
	}
	eventually(t, "a record at every back-end", all(1))
	if m := sb.Mailchimp.Records(); m[0].EmailAddress != "jane.doe@example.com" {
		t.Errorf("mailchimp member = %+v", m[0])
	}
	if st, body := post(t, s.URL+"/webhooks/cidaas", key, cidaasBody("ACCOUNT_DELETED", janeSub, now.Add(time.Second))); st != 200 {
		t.Fatalf("delete: %d %s", st, body)
	}
	// Mailchimp's mapping does not take deletes (members are keyed by email).
	eventually(t, "the record gone from every back-end that takes deletes", all(0, "mailchimp"))
	if c := counts(); c["mailchimp"] != 1 {
		t.Errorf("mailchimp has %d members, want 1", c["mailchimp"])
	}
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
