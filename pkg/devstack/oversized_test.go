package devstack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

// A genuine Clerk event whose body fits the ingress limit but whose
// envelope does not (json.Marshal writes each '<' as \u003c). The clerk
// source has no profile API here, so its body is stored aside, a pointer
// goes through the SQLite queue, and the sync function reads it back.
func TestOversizedEventReachesTheTarget(t *testing.T) {
	dir := t.TempDir()
	s := startStackIn(t, dir)
	const erika = "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5"
	body := strings.Replace(clerkUserUpdated, `"public_metadata":{}`, `"public_metadata":{"bio":"`+strings.Repeat("<", 50_000)+`"}`, 1)
	if len(body) > ingress.MaxBody {
		t.Fatalf("body of %d bytes is over the ingress limit", len(body))
	}
	if st, resp := post(t, s.URL+"/webhooks/clerk", clerkHeaders("msg_big_1", body, time.Now()), body); st != 200 {
		t.Fatalf("clerk webhook: %d %s", st, resp)
	}
	eventually(t, "Erika's contact", func() bool { return contact(s, erika) != nil })
	if c := contact(s, erika); c["FirstName"] != "Erika" || c["Email"] != "erika@example.com" {
		t.Errorf("Erika's contact = %v", c)
	}
	eventually(t, "the webhook record", func() bool {
		for _, r := range s.Sandbox.Webhook.Records() {
			if r.Key == erika {
				return true
			}
		}
		return false
	})
	eventually(t, "queues and dead-letter queues empty", func() bool { return s.totalDepth(t) == 0 })
	stored, _ := filepath.Glob(filepath.Join(dir, "bodies", "*", "*"))
	if len(stored) == 0 {
		t.Error("nothing was stored aside: the envelope was not oversized")
	}
	for _, f := range stored {
		if fi, err := os.Stat(f); err != nil || fi.Size() <= profile.MaxMessage {
			t.Errorf("stored body %s: %v", f, err)
		}
	}
}
