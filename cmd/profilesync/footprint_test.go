package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// The footprint of a subject delivered to Salesforce and the webhook
// target: the consents from the CIAM; Salesforce's fields read from the
// record it holds; the webhook's (it cannot be read) from the state and
// the mapping. After the subject is deleted, the CIAM has nothing and
// each target's footprint says so. No value is ever printed.
func TestFootprintLocalStack(t *testing.T) {
	s, dir := startStack(t)
	const sub = "footprint-1"
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := &profile.Profile{Sub: sub, GivenName: "Grace", FamilyName: "Hopper", Email: "grace@example.com",
		Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: &at, Version: "v2"}}}
	s.Sandbox.Cidaas.Put(p)
	for _, target := range []string{"salesforce", "webhook"} {
		mustRun(t, "sync", sub, "--target", target, "--data", dir, "--url", s.URL)
	}
	fp := footprintJSON(t, s.URL, dir, sub)
	if !fp.InCIAM || len(fp.Consents) != 1 || fp.Consents[0].Purpose != "newsletter" || !fp.Consents[0].Granted {
		t.Fatalf("CIAM part: %+v", fp)
	}
	by := map[string]TargetFootprint{}
	for _, tf := range fp.Targets {
		by[tf.Target] = tf
	}
	sf := by["salesforce"]
	names := func(fs []FieldLine) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Field+"←"+f.From)
		}
		return out
	}
	if sf.Holds != HoldsRead || sf.FieldsFrom != FieldsFromTarget || sf.RecordID == "" || sf.LastEvent == nil ||
		!slices.Contains(names(sf.Fields), "LastName←family_name") || !slices.Contains(names(sf.Fields), "LeadSource←constant") ||
		slices.Contains(names(sf.Fields), "MobilePhone←phone_number") {
		t.Errorf("salesforce: %+v", sf)
	}
	wh := by["webhook"]
	if wh.Holds != HoldsState || wh.FieldsFrom != FieldsFromMap || len(wh.Fields) == 0 {
		t.Errorf("webhook: %+v", wh)
	}
	text := mustRun(t, "footprint", sub, "--data", dir, "--url", s.URL)
	for _, secret := range []string{"Grace", "Hopper", "grace@example.com"} {
		if strings.Contains(text, secret) {
			t.Errorf("the footprint shows a value (%s):\n%s", secret, text)
		}
	}

	// Deleted at the source, and the delete delivered.
	s.Sandbox.Cidaas.Delete(sub)
	for _, target := range []string{"salesforce", "webhook"} {
		mustRun(t, "sync", sub, "--target", target, "--data", dir, "--url", s.URL)
	}
	fp = footprintJSON(t, s.URL, dir, sub)
	by = map[string]TargetFootprint{}
	for _, tf := range fp.Targets {
		by[tf.Target] = tf
	}
	if fp.InCIAM || len(fp.Consents) != 0 || by["salesforce"].Holds != HoldsNotRead || len(by["salesforce"].Fields) != 0 ||
		by["webhook"].Holds != HoldsDeleted || len(by["webhook"].Fields) != 0 {
		t.Errorf("after the delete: %+v", fp)
	}
	// The ledger proves it: both deletes confirmed.
	confirmed := map[string]bool{}
	for _, e := range fp.Erasures {
		if e.Subject == sub && e.Status == delivery.ErasureConfirmed && !e.SettledAt.IsZero() {
			confirmed[e.Target] = true
		}
	}
	if !confirmed["salesforce"] || !confirmed["webhook"] {
		t.Errorf("erasures %+v, want both targets confirmed", fp.Erasures)
	}
}

func footprintJSON(t *testing.T, url, dir, sub string) Footprint {
	t.Helper()
	out := mustRun(t, "footprint", sub, "--data", dir, "--url", url, "--output", "json")
	var fp Footprint
	if err := json.Unmarshal([]byte(out), &fp); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return fp
}

// The text form, golden.
func TestFootprintText(t *testing.T) {
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	last := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	fp := Footprint{Subject: "sub-1", Source: "cidaas", InCIAM: true,
		Consents: []ConsentLine{{Purpose: "newsletter", Granted: true, At: &at, Version: "v2"}, {Purpose: "profiling"}},
		Targets: []TargetFootprint{
			{Target: "salesforce", Connector: "salesforce", Key: "sub-1", Holds: HoldsRead, RecordID: "003000000000001AAA", LastEvent: &last,
				FieldsFrom: FieldsFromTarget, Fields: []FieldLine{{"Email", "email | trim | lower"}, {"LeadSource", "constant"}}},
			{Target: "webhook", Connector: "http", Key: "sub-1", Holds: HoldsDeleted, LastEvent: &last, Fields: []FieldLine{}},
			{Target: "mailchimp", Connector: "mailchimp", Key: "sub-1", Holds: HoldsNever, Fields: []FieldLine{}},
		},
		Erasures: []delivery.Erasure{
			{Subject: "sub-1", Target: "webhook", EventID: "evt-9", Status: delivery.ErasureConfirmed, RequestedAt: last.Add(-time.Minute), SettledAt: last},
			{Subject: "sub-1", Target: "salesforce", EventID: "evt-9", Status: delivery.ErasureFailed, RequestedAt: last.Add(-time.Minute), SettledAt: last, Reason: "permanent (status 400) ENTITY_IS_DELETED"},
		}}
	var b bytes.Buffer
	printFootprint(&b, fp)
	const golden = "testdata/footprint.golden"
	if *updateGolden {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
