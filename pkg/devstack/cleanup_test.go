package devstack

import (
	"context"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/sandbox/generic"
)

const (
	lapsedSub   = "0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41"
	inactiveSub = "1c2d3e4f-5061-4b72-9c83-ad9e8f7a6b52"
)

func webhookRecord(s *Stack, sub string) *generic.Record {
	for _, r := range s.Sandbox.Webhook.Records() {
		if r.Key == sub {
			return &r
		}
	}
	return nil
}

func newsletterField(r *generic.Record) any {
	cs, _ := r.Fields["consents"].(map[string]any)
	return cs["newsletter"]
}

// The shipped cleanup against the stack: a newsletter grant 800 days
// old reaches the webhook target as a revocation (its mapping sends the
// consent as false; Salesforce does not take consent_revoked, so its
// contact keeps it), and a customer inactive for four years is deleted
// from both targets while the CIAM keeps them.
func TestCleanupEndToEnd(t *testing.T) {
	s := startStack(t)
	now := time.Now().UTC()
	put := func(sub string, updated time.Time, consent map[string]any) {
		u := cidaas.UserJSON(&profile.Profile{Sub: sub, Email: sub[:8] + "@example.com", GivenName: "Test", FamilyName: "Cleanup", UpdatedAt: &updated})
		if consent != nil {
			u["consents"] = map[string]any{"newsletter": consent}
		}
		s.Sandbox.Cidaas.PutUser(sub, u)
	}
	put(lapsedSub, now.AddDate(0, 0, -10), map[string]any{"accepted": true, "accepted_time": now.AddDate(0, 0, -800).Format(time.RFC3339)})
	put(inactiveSub, now.AddDate(-4, 0, 0), nil)
	for _, sub := range []string{lapsedSub, inactiveSub} {
		cidaasWebhook(t, s, "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", sub)
	}
	eventually(t, "the contacts and records", func() bool {
		return contact(s, lapsedSub) != nil && contact(s, inactiveSub) != nil && webhookRecord(s, lapsedSub) != nil && webhookRecord(s, inactiveSub) != nil
	})
	if v := newsletterField(webhookRecord(s, lapsedSub)); v != true {
		t.Fatalf("before the cleanup the webhook record's newsletter is %v", v)
	}
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })

	res, err := s.JobRunner.Run(context.Background(), "cleanup")
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Cleanup; !res.Done || c.ConsentsRevoked != 1 || c.Inactive != 1 {
		t.Fatalf("%+v", c)
	}
	eventually(t, "the revocation at the webhook target", func() bool {
		r := webhookRecord(s, lapsedSub)
		return r != nil && newsletterField(r) == false
	})
	eventually(t, "the inactive customer deleted", func() bool {
		return contact(s, inactiveSub) == nil && webhookRecord(s, inactiveSub) == nil
	})
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
	if c := contact(s, lapsedSub); c == nil || c["Newsletter_Consent__c"] != true {
		t.Errorf("the Salesforce contact changed: %v", c)
	}
	if _, ok := s.Sandbox.Cidaas.User(inactiveSub); !ok {
		t.Error("the CIAM lost the inactive customer")
	}
}
