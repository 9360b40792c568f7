package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// The mapping's rules (scope, consent, delete policy) decide what the sync
// function sends; these run them through the real handler and the
// Salesforce fake.
const rulesMapping = `version: 1
connector: salesforce
settings: {object: Contact, external_id_field: ProfileSync_Id__c}
events: [created, updated, deleted, consent_granted, consent_revoked]
scope: 'address.country in ["DE", "AT"]'
consent:
  purpose: newsletter
  on_revoke: {deactivate: {Status__c: unsubscribed}}
on_delete: {anonymise: {FirstName: "-", LastName: "deleted", Email: null}}
fields:
  FirstName: given_name
  LastName: family_name
  Email: email
`

func rulesRig(t *testing.T) *rig {
	r := newRig(t, nil)
	m, err := withPhone.Parse("crm.yaml", []byte(rulesMapping))
	if err != nil {
		t.Fatal(err)
	}
	r.h.Mapping = m
	return r
}

func resident(country string, newsletter bool) *profile.Profile {
	p := jane("Jane")
	p.Address.Country = country
	p.Consents = map[string]profile.Consent{"newsletter": {Granted: newsletter}}
	return p
}

func TestRulesDecideTheCall(t *testing.T) {
	r := rulesRig(t)
	ctx := context.Background()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	steps := []struct {
		name string
		e    profile.Event
		want Outcome
		// the contact afterwards: nil for none
		check func(c map[string]any) bool
	}{
		{"out of scope and never synced: nothing sent", event("e1", profile.Created, "u-1", at(0), resident("FR", true)), Ignored,
			func(c map[string]any) bool { return c == nil }},
		{"in scope with consent: synced", event("e2", profile.Updated, "u-1", at(1), resident("DE", true)), Delivered,
			func(c map[string]any) bool { return c != nil && c["FirstName"] == "Jane" && c["Status__c"] == nil }},
		{"consent revoked: deactivated, not updated", event("e3", profile.ConsentRevoked, "u-1", at(2), resident("DE", false)), OptedOut,
			func(c map[string]any) bool { return c != nil && c["Status__c"] == "unsubscribed" }},
		{"consent granted again: synced", event("e4", profile.ConsentGranted, "u-1", at(3), resident("DE", true)), Delivered,
			func(c map[string]any) bool { return c != nil && c["FirstName"] == "Jane" }},
		{"moved out of scope: on_delete anonymises", event("e5", profile.Updated, "u-1", at(4), resident("FR", true)), OutOfScope,
			func(c map[string]any) bool { return c != nil && c["FirstName"] == "-" && c["LastName"] == "deleted" }},
		{"deleted after leaving scope: nothing live, nothing sent", event("e6", profile.Deleted, "u-1", at(5), nil), Ignored,
			func(c map[string]any) bool { return c != nil && c["LastName"] == "deleted" }},
	}
	for _, s := range steps {
		if s.e.Type == profile.ConsentRevoked || s.e.Type == profile.ConsentGranted {
			s.e.Purpose = "newsletter"
		}
		out, err := r.h.Deliver(ctx, s.e)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if out != s.want {
			t.Errorf("%s: outcome %s, want %s", s.name, out, s.want)
		}
		var c map[string]any
		if cs := contacts(r); len(cs) == 1 {
			c = cs[0]
		} else if len(cs) > 1 {
			t.Fatalf("%s: %d contacts", s.name, len(cs))
		}
		if !s.check(c) {
			t.Errorf("%s: contact = %v", s.name, c)
		}
	}
}
