package reconcile

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/mailchimp"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	mcsandbox "github.com/profilesync/profilesync/pkg/sandbox/mailchimp"
)

const mailchimpMapping = `version: 1
connector: mailchimp
settings: {list_id: a1b2c3d4e5, key_merge_field: PSID}
events: [created, updated, deleted]
key: sub
fields:
  email_address: {from: email, transform: [trim, lower]}
  merge_fields.FNAME: given_name
  merge_fields.LNAME: family_name
constants:
  status_if_new: subscribed
on_delete: delete
`

// Drift in a Mailchimp audience keyed on the PSID merge field, read page
// by page: a member missing (archived: no record), a stale merge field, an
// orphan with a PSID, a member without one (unmanaged), and an
// unsubscribed member, who is a record and unchanged. Planned and applied
// through the sync handler: the creates and updates land, and the plan
// is left with the orphan, whose delete the connector cannot apply (a
// delete event names the subject, Mailchimp addresses a member by email,
// and this deployment never delivered the orphan, so no sync state holds
// its member id).
func TestDriftMailchimp(t *testing.T) {
	const apiKey, list = "0123456789abcdef-us21", "a1b2c3d4e5"
	fake := mcsandbox.NewFake(apiKey, list)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	m, err := mapping.Loader{CheckSettings: func(_ string, s map[string]any) error { return mailchimp.CheckSettings(s) }}.Parse("mailchimp.yaml", []byte(mailchimpMapping))
	if err != nil {
		t.Fatal(err)
	}
	s, err := mailchimp.DecodeSettings(map[string]any{"list_id": list, "key_merge_field": "PSID"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := mailchimp.New("mailchimp", s, mailchimp.Credentials{APIKey: apiKey, BaseURL: srv.URL + "/3.0"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	seed := func(key, email, given, family string) connector.Record {
		t.Helper()
		r := connector.Record{Key: key, Fields: map[string]any{"email_address": email, "merge_fields": map[string]any{"FNAME": given, "LNAME": family}}}
		if _, err := c.Upsert(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := c.OptOut(ctx, seed("sub-1", "ada@example.com", "Ada", "Lovelace")); err != nil {
		t.Fatal(err)
	}
	seed("sub-2", "grace@example.com", "Grace", "Hopper-Old")
	for _, r := range []connector.Record{seed("sub-3", "alan@example.com", "Alan", "Turing"), seed("sub-6", "old@example.com", "Old", "Archived")} {
		if err := c.Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	seed("sub-4", "gone@example.com", "Gone", "Away")
	fake.Put(list, "walkin@example.com", "subscribed")
	src := &ciam{list: []*profile.Profile{
		person("sub-1", "Ada", "Lovelace", "ada@example.com", true),
		person("sub-2", "Grace", "Hopper", "grace@example.com", true),
		person("sub-3", "Alan", "Turing", "alan@example.com", true),
	}}
	q := &queue{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(apply bool) *Plan {
		t.Helper()
		r, read, err := c.Reader(m.Base().TargetPaths())
		if err != nil {
			t.Fatal(err)
		}
		rc := &Reconciler{Target: "salesforce", Source: "cidaas", Mapping: m, Lister: src, Reader: r, Paths: read,
			Threshold: Threshold{MaxCount: 10, MaxPercent: 50}, PageSize: 2, Log: quiet}
		if apply {
			rc.Queue = q
		}
		p, err := rc.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := run(false)
	if c := p.Counts; c.Create != 1 || c.Update != 1 || c.Delete != 1 || c.Unmanaged != 1 || c.Unchanged != 1 {
		t.Fatalf("counts = %+v", c)
	}
	for _, ch := range p.Changes {
		switch {
		case ch.Action == Update && (ch.Key != "sub-2" || len(ch.Fields) != 1 || ch.Fields[0] != (FieldDiff{"merge_fields.LNAME", "Hopper-Old", "Hopper"})),
			ch.Action == Create && ch.Key != "sub-3",
			ch.Action == Delete && ch.Key != "sub-4":
			t.Errorf("change = %+v", ch)
		}
	}
	if p = run(true); p.Applied != 3 {
		t.Fatalf("applied %d", p.Applied)
	}
	msgs := q.take()
	var ev events.SQSEvent
	deleteID := ""
	for _, msg := range msgs {
		if msg.Attributes["event_type"] == string(profile.Deleted) {
			deleteID = msg.ID
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: msg.ID, Body: string(msg.Body),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	h := &delivery.Handler{Target: "salesforce", Mapping: m, Connector: c, State: &delivery.MemoryState{}, Log: quiet}
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != deleteID {
		t.Fatalf("sync handler: %v, failures %v, want the orphan's delete (%s) only", err, resp.BatchItemFailures, deleteID)
	}
	if p = run(false); p.Counts.Create+p.Counts.Update != 0 || p.Counts.Delete != 1 || p.Counts.Unmanaged != 1 || p.Counts.Unchanged != 3 {
		t.Fatalf("after apply: %+v", p.Counts)
	}
	for _, mb := range fake.Records() {
		if mb.EmailAddress == "alan@example.com" && (mb.Status != "subscribed" || mb.MergeFields["PSID"] != "sub-3") {
			t.Errorf("the archived member was not added back: %+v", mb)
		}
		if mb.EmailAddress == "ada@example.com" && mb.Status != "unsubscribed" {
			t.Errorf("the unsubscribed member is %s", mb.Status)
		}
	}
	// A subject the handler delivered has its member id in the sync
	// state: the CIAM's delete, which carries no e-mail, finds the member.
	at := time.Now().Add(time.Hour)
	out, err := h.Deliver(ctx, profile.Event{ID: "del-3", Source: "cidaas", Type: profile.Deleted, Subject: "sub-3", OccurredAt: at, ReceivedAt: at})
	if err != nil || out != delivery.Deleted {
		t.Fatalf("delete of a delivered subject: %s, %v", out, err)
	}
	for _, mb := range fake.Records() {
		if mb.EmailAddress == "alan@example.com" && mb.Status != "archived" {
			t.Errorf("the deleted subject's member is %s", mb.Status)
		}
	}
}
