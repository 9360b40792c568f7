package delivery

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// A sync binary built without the phone normaliser must not send contacts
// with the phone left out: the shipped Salesforce mapping normalises
// phones, so the message goes to the DLQ at once, with the reason, and
// nothing reaches Salesforce.
func TestWithoutPhoneNormaliserDeadLetters(t *testing.T) {
	r := newRigLoaded(t, mapping.Loader{}, nil)
	q, _ := withQueue(r)
	p := jane("Jane")
	p.PhoneNumber = "0151 12345678"
	ev := received(batch(t, event("e1", profile.Created, "u-1", t0, p)), 1)
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dead-lettered message must count as processed: %+v %v", resp, err)
	}
	dead := q.Dead()
	if len(dead) != 1 || dead[0].Msg.Body != ev.Records[0].Body {
		t.Fatalf("dead letters %+v", dead)
	}
	if rs := dead[0].Reason; rs.Class != "permanent" || !strings.Contains(rs.Message, mapping.ErrNoPhone.Error()) {
		t.Errorf("reason %+v, want permanent with ErrNoPhone's text", rs)
	}
	if got := contacts(r); len(got) != 0 {
		t.Errorf("contacts sent without a phone normaliser: %v", got)
	}
	if !errors.Is(func() error { _, err := r.h.Mapping.Decide(profile.Event{Type: profile.Created}, p); return err }(), mapping.ErrNoPhone) {
		t.Error("Decide does not report ErrNoPhone")
	}
}
