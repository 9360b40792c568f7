package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Olga's personal data: what the sources send, the back-ends store and, in
// some scenarios, echo back in their errors. None of it may appear in a log
// line, a dead letter's attributes or the CLI's output.
const (
	olgaSub    = "0a1b2c3d-4e5f-4a6b-8c9d-0e1f2a3b4c5d" // the CIAM's opaque id: allowed
	olgaEmail  = "olga.outage@example.com"
	olgaPhone  = "015112345679"                   // national format; "+49 151 12345679" in another scenario
	olgaDigits = "15112345679"                    // what both formats share once non-digits are stripped
	olgaStreet = "Lindenallee 42"                 // the address
	olgaCity   = "Wuppertal"                      //
	olgaClerk  = "user_2qZ7mT4vW9xY1aB3cD5eF7gH9" // the Clerk subject
)

// piiNeedles are patterns of Olga's data in any case and spacing; the
// phone is searched on digits alone (piiLeaks).
var piiNeedles = []*regexp.Regexp{
	regexp.MustCompile(`(?i)olga`), // her given name, and her e-mail's local part
	regexp.MustCompile(`(?i)olga\s*outage`),
	regexp.MustCompile(`(?i)olga\.outage\s*@\s*example\.com`),
	regexp.MustCompile(`(?i)lindenallee`),
	regexp.MustCompile(`(?i)wuppertal`),
}

// piiLeaks names what of Olga's data text holds.
func piiLeaks(text string) []string {
	var found []string
	for _, re := range piiNeedles {
		if m := re.FindString(text); m != "" {
			found = append(found, fmt.Sprintf("%q (pattern %s)", m, re))
		}
	}
	var digits strings.Builder
	for _, r := range text {
		if r >= '0' && r <= '9' {
			digits.WriteRune(r)
		}
	}
	if strings.Contains(digits.String(), olgaDigits) {
		found = append(found, "her phone number's digits "+olgaDigits)
	}
	return found
}

// Targets of the test, keyed as mappings may key them: the generic
// webhook and Brevo on the e-mail address (so the record key is personal
// data), Salesforce on the subject.
var piiMappings = fstest.MapFS{
	"webhook.yaml": {Data: []byte(`version: 1
connector: generic
key: email
settings:
  auth: hmac
  requests:
    upsert: {method: PUT, path: "/contacts/{key}"}
    deleted: {method: DELETE, path: "/contacts/{key}"}
events: [created, updated]
fields:
  given: given_name
  family: family_name
  email: email
  phone: phone_number
  mobile: {from: phone_number, transform: [{e164: DE}]}
  street: address.street_address
  city: address.locality
  zip: address.postal_code
`)},
	"brevo.yaml": {Data: []byte(`version: 1
connector: brevo
key: email
settings:
  identifier: email
  list_ids: [7]
events: [created, updated]
fields:
  email: email
  FIRSTNAME: given_name
  LASTNAME: family_name
  SMS: {from: phone_number, transform: [{e164: DE}]}
`)},
	"salesforce.yaml": {Data: []byte(`version: 1
connector: salesforce
settings:
  object: Contact
  external_id_field: ProfileSync_Id__c
  api_version: v62.0
events: [created, updated, deleted]
key: sub
fields:
  FirstName: given_name
  LastName: family_name
  Email: email
  Phone: phone_number
  MobilePhone: {from: phone_number, transform: [{e164: DE}]}
  MailingStreet: address.street_address
  MailingCity: address.locality
on_delete: delete
`)},
}

func olga(email, phone, street string) *profile.Profile {
	return &profile.Profile{Sub: olgaSub, GivenName: "Olga", FamilyName: "Outage", Name: "Olga Outage",
		Email: email, EmailVerified: true, PhoneNumber: phone, Locale: "de-DE",
		Address: &profile.Address{StreetAddress: street, Locality: olgaCity, PostalCode: "42103", Country: "DE"}}
}

// TestPersonalDataStaysOutOfLogsDLQAndCLI runs Olga's profile through the
// local stack — created, updated, refused by back-ends that quote it back,
// retried after an outage, deleted — and searches everything an operator
// reads for her data: the stack's logs, the dead letters' attributes and
// reasons, the notices, and the output of `send` and `dlq list`.
func TestPersonalDataStaysOutOfLogsDLQAndCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the local stack")
	}
	ctx := context.Background()
	dir, files, mappings := t.TempDir(), t.TempDir(), t.TempDir()
	for name, f := range piiMappings {
		if err := os.WriteFile(filepath.Join(mappings, name), f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	s, err := devstack.Start(ctx, devstack.Options{
		Addr: "127.0.0.1:0", DataDir: dir, Mappings: os.DirFS(mappings), VisibilityTimeout: 2 * time.Second,
		Policy: delivery.Policy{BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		Log:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = s.Close()
		}
	})
	sb := s.Sandbox
	var cli []string // output of every command run, but `sandbox list` and `mapping test`
	send := func(source, name, body string) {
		t.Helper()
		f := filepath.Join(files, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, "send", source, f, "--url", s.URL, "--data", dir)
		cli = append(cli, r.stdout, r.stderr)
		// send waits for the outcome and exits 1 when it is a dead letter,
		// which the refused scenario is.
		deadLettered := r.code == 1 && strings.Contains(r.stdout, "dead-lettered")
		if (r.code != 0 && !deadLettered) || !strings.HasPrefix(r.stdout, "200 OK") {
			t.Fatalf("send %s: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
	t0 := time.Now().Add(-time.Minute)
	cidaas := func(name, eventtype string, at time.Time) {
		t.Helper()
		send("cidaas", name, fmt.Sprintf(`{"eventtype":%q,"id":"evt-o-%s","sub":%q,"tenant_key":"acme-shop","createdTime":%q}`,
			eventtype, name, olgaSub, at.UTC().Format("2006-01-02T15:04:05.000Z")))
	}
	webhookHas := func(key, street string) func() bool {
		return func() bool {
			for _, r := range sb.Webhook.Records() {
				if r.Key == key && r.Fields["street"] == street {
					return true
				}
			}
			return false
		}
	}
	contact := func() map[string]any {
		for _, c := range sb.Salesforce.Records("Contact") {
			if c["ProfileSync_Id__c"] == olgaSub {
				return c
			}
		}
		return nil
	}
	// delivered: target logged the delivery of the event whose cidaas id
	// is evt-o-<name>.
	delivered := func(target, name string) bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l map[string]any
			if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == "delivery done" && l["target"] == target &&
				strings.Contains(fmt.Sprint(l["event_id"]), "evt-o-"+name) {
				return true
			}
		}
		return false
	}
	within := 20 * time.Second

	// An inline profile (Clerk sends the whole user), through the ingress.
	send("clerk", "clerk.json", fmt.Sprintf(`{"data":{"id":%q,"object":"user","first_name":"Olga","last_name":"Outage",
"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":%q,"verification":{"status":"verified"}}],
"primary_phone_number_id":"idn_2","phone_numbers":[{"id":"idn_2","phone_number":"+4915112345679","verification":{"status":"verified"}}],
"public_metadata":{},"unsafe_metadata":{},"created_at":1735725600000,"updated_at":1735725900000},
"object":"event","timestamp":1735725900123,"type":"user.updated"}`, olgaClerk, olgaEmail))
	eventually(t, within, "Clerk's Olga at the webhook sandbox", func() bool {
		for _, r := range sb.Webhook.Records() {
			if r.Key == olgaEmail && r.Fields["given"] == "Olga" {
				return true
			}
		}
		return false
	})

	// Created, then updated: the profile is fetched from cidaas.
	sb.Cidaas.Put(olga(olgaEmail, olgaPhone, olgaStreet))
	cidaas("created", "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", t0)
	eventually(t, within, "the created record at all three back-ends", func() bool {
		return webhookHas(olgaEmail, olgaStreet)() && contact() != nil && len(sb.Brevo.Records()) == 1
	})

	// Updated during an outage: 503s, retried until they pass. The e-mail
	// comes in upper case now, the phone in international format.
	upper := strings.ToUpper(olgaEmail)
	sb.Webhook.FailNext(2, 503)
	sb.Brevo.FailNext(2, 503)
	sb.Cidaas.Put(olga(upper, "+49 151 12345679", olgaStreet+"a"))
	cidaas("outage", "ACCOUNT_MODIFIED", t0.Add(time.Second))
	eventually(t, within, "the update through the outage", func() bool {
		c := contact()
		return webhookHas(upper, olgaStreet+"a")() && c != nil && c["MailingStreet"] == olgaStreet+"a" &&
			delivered("brevo", "outage")
	})
	if !strings.Contains(logs.String(), "retry scheduled") {
		t.Error("no retry was logged: the outage scenario did not run")
	}

	// Refused by back-ends that quote the record back, in another case
	// and format: dead-lettered with the back-end's reason.
	sb.Webhook.FailNextEcho(1, 400)
	sb.Salesforce.FailRecord(olgaSub, "INVALID_EMAIL_ADDRESS",
		"Email: invalid email address: "+upper+" (OLGA OUTAGE, LINDENALLEE 42B, WUPPERTAL, tel. 0151 1234 5679)")
	sb.Cidaas.Put(olga(upper, olgaPhone, olgaStreet+"b"))
	cidaas("refused", "ACCOUNT_MODIFIED", t0.Add(2*time.Second))
	dead := map[string][]string{} // target -> the reasons' messages
	eventually(t, within, "the refused update in the webhook's and Salesforce's DLQs", func() bool {
		for _, target := range []string{"webhook", "salesforce"} {
			dls, err := s.Queues.ListDLQ(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) == 0 {
				return false
			}
			dead[target] = nil
			for _, d := range dls {
				dead[target] = append(dead[target], d.Attributes[delivery.AttrMessage])
			}
		}
		return true
	})
	for target, msgs := range dead {
		if !strings.Contains(strings.Join(msgs, "\n"), "[redacted]") {
			t.Errorf("%s: the back-end's message did not come back redacted: the echo scenario did not run: %q", target, msgs)
		}
	}

	// Deleted.
	cidaas("deleted", "ACCOUNT_DELETED", t0.Add(3*time.Second))
	eventually(t, within, "the Contact deleted", func() bool { return contact() == nil })
	eventually(t, within, "every queue drained", func() bool {
		for _, target := range []string{"webhook", "brevo", "salesforce"} {
			if v, f, _, err := s.Queues.Depth(ctx, target); err != nil || v+f > 0 {
				return false
			}
		}
		return true
	})

	// What an operator reads, with the stack still up: dead letters and
	// notices...
	var stored []string
	for _, target := range []string{"webhook", "brevo", "salesforce"} {
		dls, err := s.Queues.ListDLQ(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dls {
			stored = append(stored, fmt.Sprintf("%s dead letter %s: reason %q, attributes %v", target, d.ID, d.Reason, d.Attributes))
		}
		ns, err := s.Notices.List(ctx, target, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			stored = append(stored, fmt.Sprintf("%s notice: %+v", target, n))
		}
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// ...and `profilesync dlq list` over the data directory.
	for _, target := range []string{"webhook", "brevo", "salesforce"} {
		r := runCLI(t, "dlq", "list", target, "--data", dir, "--mappings", mappings)
		cli = append(cli, r.stdout, r.stderr)
		if r.code != 0 {
			t.Fatalf("dlq list %s: exit %d\n%s", target, r.code, r.stderr)
		}
		if want := map[string]bool{"webhook": true, "salesforce": true}[target]; want && !strings.Contains(r.stdout, "1 dead letter(s)") {
			t.Errorf("dlq list %s:\n%s", target, r.stdout)
		}
	}

	check := func(what string, lines []string) {
		t.Helper()
		for _, line := range lines {
			if leaks := piiLeaks(line); len(leaks) > 0 {
				t.Errorf("%s carries personal data %s:\n%s", what, strings.Join(leaks, ", "), line)
			}
		}
	}
	check("a log line", strings.Split(logs.String(), "\n"))
	check("a dead letter or notice", stored)
	check("CLI output", cli)
	if t.Failed() {
		t.Logf("logs:\n%s", logs.String())
	}
}
