package mapping

import (
	"encoding/json"
	"testing"

	"github.com/itchyny/gojq"
)

// benchMapping has 20 fields: 15 paths, 3 expressions, 2 transforms.
const benchMapping = `version: 1
connector: generic
events: [created, updated]
lookups:
  language: {de-DE: de, de-AT: de, en-GB: en, en-US: en}
fields:
  id: sub
  first_name: given_name
  last_name: family_name
  email: {from: email, transform: [trim, lower]}
  language: {from: locale, transform: [{lookup: language}]}
  email_verified: email_verified
  phone: phone_number
  birthdate: birthdate
  address.street: address.street_address
  address.city: address.locality
  address.zip: address.postal_code
  address.country: address.country
  newsletter: consents.newsletter.granted
  newsletter_at: consents.newsletter.at
  role: claims.role.value
  tier: custom.loyalty_tier
  updated_at: updated_at
  full_name: {expr: 'given_name + " " + family_name'}
  segment: {expr: 'custom.loyalty_tier == "gold" ? "vip" : "standard"'}
  dach: {expr: 'address.country in ["DE", "AT", "CH"]'}
`

// benchJQ is the same mapping as the jq program an integrator would write.
const benchJQ = `{
  id: .sub, first_name: .given_name, last_name: .family_name,
  email: (.email | trim | ascii_downcase),
  language: ({"de-DE": "de", "de-AT": "de", "en-GB": "en", "en-US": "en"}[.locale]),
  email_verified: .email_verified, phone: .phone_number, birthdate: .birthdate,
  address: {street: .address.street_address, city: .address.locality, zip: .address.postal_code, country: .address.country},
  newsletter: .consents.newsletter.granted, newsletter_at: .consents.newsletter.at,
  role: .claims.role.value, tier: .custom.loyalty_tier, updated_at: .updated_at,
  full_name: (.given_name + " " + .family_name),
  segment: (if .custom.loyalty_tier == "gold" then "vip" else "standard" end),
  dach: (.address.country | IN("DE", "AT", "CH"))
} | with_entries(select(.value != null))`

func BenchmarkApply(b *testing.B) {
	m, err := withPhone.Parse("bench.yaml", []byte(benchMapping))
	if err != nil {
		b.Fatal(err)
	}
	p := sampleProfile(b)
	r := m.Resolve("", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Record(r, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyJQ runs the same mapping with gojq. "decoded" starts from
// the profile already decoded to JSON values (jq's best case); "profile"
// starts, like BenchmarkApply, from a *profile.Profile and pays for the
// JSON round trip jq needs.
func BenchmarkApplyJQ(b *testing.B) {
	q, err := gojq.Parse(benchJQ)
	if err != nil {
		b.Fatal(err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		b.Fatal(err)
	}
	p := sampleProfile(b)
	decode := func() map[string]any {
		raw, _ := json.Marshal(p)
		var in map[string]any
		if err := json.Unmarshal(raw, &in); err != nil {
			b.Fatal(err)
		}
		return in
	}
	run := func(in map[string]any) {
		v, ok := code.Run(in).Next()
		if !ok {
			b.Fatal("no output")
		}
		if err, isErr := v.(error); isErr {
			b.Fatal(err)
		}
	}
	b.Run("decoded", func(b *testing.B) {
		in := decode()
		b.ReportAllocs()
		for b.Loop() {
			run(in)
		}
	})
	b.Run("profile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(decode())
		}
	})
}

// TestJQBenchIsTheSameMapping keeps the comparison honest: both produce the
// same record.
func TestJQBenchIsTheSameMapping(t *testing.T) {
	m, err := withPhone.Parse("bench.yaml", []byte(benchMapping))
	if err != nil {
		t.Fatal(err)
	}
	_, rec, err := m.Record(m.Resolve("", ""), sampleProfile(t))
	if err != nil {
		t.Fatal(err)
	}
	q, err := gojq.Parse(benchJQ)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(sampleProfile(t))
	var in map[string]any
	_ = json.Unmarshal(raw, &in)
	v, _ := q.Run(in).Next()
	a, _ := json.Marshal(rec)
	j, _ := json.Marshal(v)
	if string(a) != string(j) {
		t.Fatalf("mapping: %s\njq:      %s", a, j)
	}
	if len(rec) < 17 {
		t.Fatalf("record has %d top-level fields", len(rec))
	}
}
