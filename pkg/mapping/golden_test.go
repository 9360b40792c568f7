package mapping

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/profile"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleProfile(t testing.TB) *profile.Profile {
	t.Helper()
	b, err := os.ReadFile("testdata/profile.json")
	if err != nil {
		t.Fatal(err)
	}
	var p profile.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// goldenCases are the events every golden mapping is decided for.
func goldenCases(p *profile.Profile) map[string]profile.Event {
	at := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	ev := func(typ profile.EventType, env, client, purpose string) profile.Event {
		e := profile.Event{ID: "evt-1", Source: "cidaas", Type: typ, Subject: p.Sub, OccurredAt: at,
			Environment: env, ClientID: client, Purpose: purpose, Profile: p}
		if typ == profile.Deleted {
			e.Profile = nil
		}
		return e
	}
	return map[string]profile.Event{
		"updated":              ev(profile.Updated, "", "", ""),
		"updated.staging.pos":  ev(profile.Updated, "staging", "pos-terminal", ""),
		"deleted":              ev(profile.Deleted, "", "", ""),
		"consent_revoked":      ev(profile.ConsentRevoked, "", "", "newsletter"),
		"consent_revoked.pos":  ev(profile.ConsentRevoked, "", "pos-terminal", "newsletter"),
		"deleted.pos-terminal": ev(profile.Deleted, "", "pos-terminal", ""),
	}
}

// TestGoldenDecisions fixes, per shipped mapping (and the feature example),
// what a sample profile becomes for each kind of event.
func TestGoldenDecisions(t *testing.T) {
	set, err := withPhone.LoadFS(mappings.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	all := set.All()
	ex, err := os.ReadFile("testdata/examples/crm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := withPhone.Parse("example-crm.yaml", ex)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, m)
	p := sampleProfile(t)
	for _, m := range all {
		t.Run(m.Name, func(t *testing.T) {
			out := map[string]Decision{}
			for name, e := range goldenCases(p) {
				d, err := m.Decide(e, e.Profile)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				out[name] = d
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", m.Name+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), got) {
				t.Errorf("%s differs:\n%s", path, got)
			}
		})
	}
}
