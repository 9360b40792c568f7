package delivery

import (
	"os"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
)

// BenchmarkFieldDiff is the sync log's cost per message: the prints of the
// shipped Salesforce record (12 fields) and the diff against the last.
func BenchmarkFieldDiff(b *testing.B) {
	data, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		b.Fatal(err)
	}
	m, err := withPhone.Parse("salesforce.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	p := jane("Jane")
	p.PhoneNumber = "+4915112345612"
	d, err := m.Decide(profile.Event{Type: profile.Updated, Subject: "u-1"}, p)
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Mapping: m, LogKey: []byte("0123456789abcdef0123456789abcdef")}
	last := h.fieldPrints(d.Fields)
	last["FirstName"] = printOf(h.LogKey, m.Log.For("FirstName"), "Janet")
	b.ReportAllocs()
	for b.Loop() {
		prints := h.fieldPrints(d.Fields)
		if len(diffFields(last, prints, m.Log)) != 1 {
			b.Fatal("want one change")
		}
		_ = mergePrints(last, prints)
	}
}
