package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Provision on demand against the local stack: a dry run shows the
// decision and changes nothing; the real run that follows reaches the
// same decision and delivers; a record edited by hand in the target shows
// as a difference, and the next run puts it back even though the state
// says the target is current.
func TestSyncOnDemand(t *testing.T) {
	s, dir := startStack(t)
	const sub = "sync-demo-1"
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: sub, GivenName: "Grace", FamilyName: "Hopper", Email: "grace@example.com"})
	run := func(args ...string) syncReport {
		t.Helper()
		out := mustRun(t, append([]string{"sync", sub, "--target", "salesforce", "--data", dir, "--url", s.URL, "--output", "json"}, args...)...)
		var rep syncReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		return rep
	}
	dry := run("--dry-run")
	if dry.Decision != "delivered" || dry.Call != "upsert" || dry.Key != sub || dry.Held != "target" || *dry.InTarget ||
		dry.Record["LastName"] != "Hopper" || dry.Applied {
		t.Fatalf("dry run: %+v", dry)
	}
	if n := len(s.Sandbox.Salesforce.Records("Contact")); n != 0 {
		t.Fatalf("a dry run wrote %d record(s)", n)
	}
	real := run()
	if real.Decision != dry.Decision || real.Call != dry.Call || !real.Applied || !strings.HasPrefix(real.Outcome, "delivered") {
		t.Fatalf("the run after the dry run: %+v (dry run %+v)", real, dry)
	}
	recs := s.Sandbox.Salesforce.Records("Contact")
	if len(recs) != 1 || recs[0]["LastName"] != "Hopper" {
		t.Fatalf("records %v", recs)
	}
	// Edited by hand in Salesforce: the state still says current.
	if !s.Sandbox.Salesforce.Remove("Contact", recs[0]["Id"].(string)) {
		t.Fatal("the record is not there to edit")
	}
	edited := map[string]any{"ProfileSync_Id__c": sub, "LastName": "Hooper"}
	for _, f := range []string{"FirstName", "Email", "LeadSource"} {
		edited[f] = recs[0][f]
	}
	s.Sandbox.Salesforce.Put("Contact", edited)
	dry = run("--dry-run")
	if dry.Decision != "delivered" || !*dry.InTarget || len(dry.Changes) != 1 || dry.Changes[0].Field != "LastName" ||
		dry.Changes[0].Old != "Hooper" || dry.Changes[0].New != "Hopper" {
		t.Fatalf("dry run after the edit: %+v", dry)
	}
	run()
	if recs := s.Sandbox.Salesforce.Records("Contact"); len(recs) != 1 || recs[0]["LastName"] != "Hopper" {
		t.Fatalf("the on-demand sync did not repair the record: %v", recs)
	}
	if dry = run("--dry-run"); len(dry.Changes) != 0 {
		t.Errorf("differences after the repair: %+v", dry.Changes)
	}
	text := mustRun(t, "sync", sub, "--target", "salesforce", "--data", dir, "--url", s.URL, "--dry-run")
	if !strings.Contains(text, "decision   delivered (upsert, key "+sub+")") || !strings.Contains(text, "0 field(s) differ") ||
		!strings.Contains(text, "dry run: nothing enqueued") {
		t.Errorf("text:\n%s", text)
	}
}

// A subject the CIAM does not have becomes a delete.
func TestSyncOnDemandGoneSubject(t *testing.T) {
	s, dir := startStack(t)
	out := mustRun(t, "sync", "no-such-subject", "--target", "salesforce", "--data", dir, "--url", s.URL, "--dry-run", "--output", "json")
	var rep syncReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// The delete the sync function would make for it: the CIAM has no such
	// subject, and a delete of a record the target lacks is a no-op there.
	if rep.Decision != "deleted" || rep.Call != "delete" || rep.Held != "target" || *rep.InTarget || rep.Applied {
		t.Fatalf("gone subject: %+v", rep)
	}
	if r := runCLI(t, "sync", "x", "--data", dir, "--url", s.URL); r.code != 2 || !strings.Contains(r.stderr, "--target is required") {
		t.Errorf("no --target: code %d, %s", r.code, r.stderr)
	}
}

// A deployed stack (SQS on moto): the command enqueues a thin on_demand
// event on the target's queue; the sync function fetches the profile and
// delivers it (here the local stack's, fed the message SQS holds).
func TestSyncOnDemandDeployed(t *testing.T) {
	s, _ := startStack(t)
	const sub = "sync-demo-2"
	s.Sandbox.Cidaas.Put(&profile.Profile{Sub: sub, GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@example.com"})
	srv := motoForCLI(t)
	ctx := t.Context()
	client := sqs.NewFromConfig(srv.AWSConfig(ctx))
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String("sync-sf")})
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "sync", sub, "--target", "salesforce", "--queue-url", *q.QueueUrl, "--dry-run"); r.code != 2 {
		t.Fatalf("--dry-run on a deployed stack: code %d", r.code)
	}
	out := mustRun(t, "sync", sub, "--target", "salesforce", "--queue-url", *q.QueueUrl)
	if !strings.Contains(out, "enqueued on-demand event") {
		t.Fatalf("output:\n%s", out)
	}
	got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	env, err := profile.UnmarshalEnvelope([]byte(*got.Messages[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	e := env.Event
	if env.Target != "salesforce" || e.Subject != sub || e.Profile != nil || e.SourceType != profile.SourceTypeOnDemand ||
		e.Type != profile.Updated || *got.Messages[0].MessageAttributes["event_id"].StringValue != e.ID {
		t.Fatalf("message %+v", env)
	}
	if err := s.Queues.SendBatch(ctx, "salesforce", []ingress.Message{{ID: "m0", Body: []byte(*got.Messages[0].Body)}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the thin on-demand event delivered", func() bool {
		recs := s.Sandbox.Salesforce.Records("Contact")
		return len(recs) == 1 && recs[0]["LastName"] == "Lovelace"
	})
}
