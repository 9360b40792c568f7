package delivery

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/brevo"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	brevosandbox "github.com/profilesync/profilesync/pkg/sandbox/brevo"
)

const optOutMapping = `version: 1
connector: brevo
settings: {identifier: ext_id, list_ids: [7], opt_out: blocklist}
events: [created, updated, consent_granted, consent_revoked]
consent: {purpose: newsletter, on_revoke: opt_out}
fields:
  email: email
  FIRSTNAME: given_name
`

// A revoked consent with on_revoke: opt_out calls the connector's own
// opt-out (Brevo: blocklist the email) and leaves the contact in place; a
// consent granted again pushes the whole record.
func TestConsentRevokedCallsTheConnectorsOptOut(t *testing.T) {
	fake := brevosandbox.NewFake("k")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	m, err := withPhone.Parse("brevo.yaml", []byte(optOutMapping))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := brevo.Build("brevo", m.Settings, []byte(`{"api_key":"k","base_url":"`+srv.URL+`"}`), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Target: "brevo", Mapping: m, Connector: conn, State: &MemoryState{}}
	ctx := context.Background()
	p := func(granted bool) *profile.Profile {
		pr := jane("Jane")
		pr.Consents = map[string]profile.Consent{"newsletter": {Granted: granted}}
		return pr
	}
	revoke := event("e2", profile.ConsentRevoked, "u-1", t0.Add(1), p(false))
	revoke.Purpose = "newsletter"
	for _, step := range []struct {
		e    profile.Event
		want Outcome
		bl   bool
	}{
		{event("e1", profile.Created, "u-1", t0, p(true)), Delivered, false},
		{revoke, OptedOut, true},
	} {
		out, err := h.Deliver(ctx, step.e)
		if err != nil || out != step.want {
			t.Fatalf("%s: %s %v, want %s", step.e.ID, out, err, step.want)
		}
		cs := fake.Records()
		if len(cs) != 1 || cs[0].EmailBlacklisted != step.bl || cs[0].Email != "jane@example.com" {
			t.Fatalf("%s: contacts %+v", step.e.ID, cs)
		}
	}

	// The same mapping over a connector without an opt-out fails permanently.
	r := newRig(t, nil)
	m2, _ := mapping.Parse("crm.yaml", []byte(`version: 1
connector: salesforce
events: [created, consent_revoked]
consent: {purpose: newsletter, on_revoke: opt_out}
fields: {LastName: family_name}
`), nil)
	r.h.Mapping = m2
	if _, err := r.h.Deliver(ctx, event("e1", profile.Created, "u-1", t0, p(true))); err != nil {
		t.Fatal(err)
	}
	_, err = r.h.Deliver(ctx, revoke)
	if fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("opt_out without OptOuter: %v, want a permanent error", err)
	}
}
