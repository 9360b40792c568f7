package mapping

import (
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/profile"
)

// FuzzParse feeds the loader (and through it the expression compiler and
// the transform parser) arbitrary files seeded from the shipped mappings.
// Whatever it accepts must then decide every event without panicking.
func FuzzParse(f *testing.F) {
	seeds, _ := fs.Glob(mappings.FS, "*.yaml")
	for _, s := range seeds {
		b, _ := fs.ReadFile(mappings.FS, s)
		f.Add(b)
	}
	if b, err := os.ReadFile("testdata/examples/crm.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Add([]byte(scoped))
	f.Add([]byte(benchMapping))
	p := sampleProfile(f)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := withPhone.Diagnose("fuzz.yaml", data)
		if m == nil {
			return
		}
		for _, typ := range profile.EventTypes {
			for _, env := range []string{"", "staging", "prod"} {
				e := profile.Event{ID: "e", Source: "cidaas", Type: typ, Subject: p.Sub, OccurredAt: at,
					Environment: env, Purpose: "newsletter", Profile: p}
				_, _ = m.Decide(e, p)
				_, _ = m.Decide(e, &profile.Profile{Sub: "x"})
			}
		}
	})
}

// FuzzExpr compiles arbitrary expressions as a field and as a scope, and
// runs what compiles.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		`given_name + " " + family_name`, `address.country in ["DE", "AT"]`,
		`custom.loyalty_tier == "gold" ? "vip" : "standard"`, `consents.newsletter.granted && email_verified`,
		`sha256(lower(trim(email)))`, `e164(phone_number, "DE")`, `len(custom) > 0`, `updated_at > now()`,
		`claims.role.value`, `event.type == "created"`, `split(email, "@")[1]`,
	} {
		f.Add(s)
	}
	v := newEnv(sampleProfile(f), &profile.Event{Type: profile.Updated})
	empty := newEnv(&profile.Profile{}, nil)
	f.Fuzz(func(t *testing.T, src string) {
		for _, asBool := range []bool{false, true} {
			p, err := compileExpr(src, asBool, withPhone.Phone)
			if err != nil {
				continue
			}
			_, _ = p.run(v)
			_, _ = p.run(empty)
		}
	})
}
