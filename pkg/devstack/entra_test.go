package devstack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// entraCall calls the sandbox's Graph fake as an integrator's script would.
func entraCall(t *testing.T, method, u, tok, ctype, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// Microsoft Graph end to end: the stack subscribes to users in the Graph
// fake on start, answering the fake's validation request; a change of
// Jane in the fake becomes a notification, the thin event is completed
// from the fake's users API and reaches the sandbox Salesforce; a forged
// clientState is refused; the deletion deletes the contact.
func TestEndToEndEntra(t *testing.T) {
	dir := t.TempDir()
	s := startStackIn(t, dir)
	graph := s.URL + sandbox.Prefix + "/entra"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.DevClientID},
		"client_secret": {sandbox.DevClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	st, tok := entraCall(t, "POST", graph+"/"+sandbox.DevEntraTenant+"/oauth2/v2.0/token", "", "application/x-www-form-urlencoded", form.Encode())
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	token := tok["access_token"].(string)

	// The stack subscribed itself on start (its answer to the fake's
	// validation request made the subscription): one notification, 202.
	sts, err := s.Sandbox.Entra.Notify(context.Background(), "created", janeSub)
	if err != nil || len(sts) != 1 || sts[0] != http.StatusAccepted {
		t.Fatalf("notification: %v %v, want one 202", sts, err)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	c := contact(s, janeSub)
	// Graph users have no birthdate; the rest is Jane's.
	for _, k := range []string{"FirstName", "LastName", "Email", "MobilePhone", "MailingCity", "MailingPostalCode", "LeadSource"} {
		if c[k] != janeContact[k] {
			t.Errorf("Jane's contact %s = %v, want %v", k, c[k], janeContact[k])
		}
	}
	if n := s.Sandbox.Entra.Calls("/v1.0/users/" + janeSub); n == 0 {
		t.Error("the profile did not come from the Graph fake")
	}

	// An admin's change through Graph notifies by itself.
	if st, m := entraCall(t, "PATCH", graph+"/v1.0/users/"+janeSub, token, "application/json", `{"city":"Hamburg","postalCode":"20095"}`); st != 204 {
		t.Fatalf("patch: %d %v", st, m)
	}
	eventually(t, "Jane's contact in Hamburg", func() bool { c := contact(s, janeSub); return c != nil && c["MailingCity"] == "Hamburg" })

	// A forged notification (the right shape, a guessed clientState) is refused.
	forged := `{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","changeType":"deleted","resource":"Users/` + janeSub +
		`","clientState":"guessed-client-state-000","tenantId":"` + sandbox.DevEntraTenant + `"}]}`
	if st, _ := post(t, s.URL+"/webhooks/entra", map[string]string{"content-type": "application/json"}, forged); st != 401 {
		t.Fatalf("forged notification: %d, want 401", st)
	}
	if contact(s, janeSub) == nil {
		t.Fatal("a forged deletion deleted the contact")
	}

	// A lifecycle notification is accepted and changes nothing.
	if sts, err := s.Sandbox.Entra.NotifyLifecycle(context.Background(), "reauthorizationRequired"); err != nil || len(sts) != 1 || sts[0] != http.StatusAccepted {
		t.Fatalf("lifecycle: %v %v", sts, err)
	}

	// `profilesync send entra` sets the secret's clientState on the sample.
	sample, err := os.ReadFile(filepath.Join(eventsDir, "webhooks", "entra-users-updated.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Send(context.Background(), SendOptions{URL: s.URL, DataDir: dir, Source: "entra", Body: sample})
	if err != nil || res.Status != http.StatusAccepted {
		t.Fatalf("send: %+v %v", res, err)
	}
	eventually(t, "Max's contact", func() bool { return contact(s, maxSub) != nil })

	s.Sandbox.Entra.Delete(janeSub)
	if sts, err := s.Sandbox.Entra.Notify(context.Background(), "deleted", janeSub); err != nil || len(sts) != 1 || sts[0] != http.StatusAccepted {
		t.Fatalf("deletion: %v %v", sts, err)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}
