package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

const cleanupJob = `version: 1
kind: cleanup
schedule: {cron: "0 3 * * ? *"}
source: cidaas
cleanup:
  state_older_than: 400d
  abandoned_older_than: 90d
  lapsed_consents:
    - {purpose: newsletter, older_than: 730d}
  inactive: {older_than: 3y, field: custom.last_login}
`

func TestCleanupJobLoads(t *testing.T) {
	j, err := Loader{}.Parse("retention.yaml", []byte(cleanupJob))
	if err != nil {
		t.Fatal(err)
	}
	c := j.Cleanup
	if j.Kind != KindCleanup || c == nil || c.StateOlderThan != 400*Day || c.AbandonedOlderThan != 90*Day ||
		len(c.LapsedConsents) != 1 || c.LapsedConsents[0] != (LapsedConsent{"newsletter", 730 * Day}) ||
		c.Inactive == nil || *c.Inactive != (Inactive{3 * 365 * Day, "custom.last_login"}) {
		t.Errorf("cleanup = %+v", c)
	}
	j, err = Loader{}.Parse("retention.yaml", []byte(strings.Replace(cleanupJob, ", field: custom.last_login", "", 1)))
	if err != nil || j.Cleanup.Inactive.Field != "updated_at" {
		t.Errorf("default field: %v, %v", j, err)
	}
}

func TestParseDays(t *testing.T) {
	for s, want := range map[string]time.Duration{"1d": Day, "400d": 400 * Day, "3y": 1095 * Day} {
		if got, err := ParseDays(s); err != nil || got != want {
			t.Errorf("%s = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "0d", "12h", "d", "-3d", "1.5y", "3 y"} {
		if _, err := ParseDays(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

func TestCleanupJobErrorsAtLineAndColumn(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"duration", strings.Replace(cleanupJob, "400d", "400 days", 1), "retention.yaml:6:21: cleanup.state_older_than: must be whole days or years"},
		{"hours", strings.Replace(cleanupJob, "90d", "72h", 1), "retention.yaml:7:25: cleanup.abandoned_older_than: must be whole days or years"},
		{"consent duration", strings.Replace(cleanupJob, "730d", "2 years", 1), "retention.yaml:9:41: cleanup.lapsed_consents[0].older_than: must be whole days"},
		{"unknown key", strings.Replace(cleanupJob, "  inactive:", "  orphans: 3d\n  inactive:", 1), "retention.yaml:10:3: cleanup.orphans: unknown key"},
		{"unknown consent key", strings.Replace(cleanupJob, "older_than: 730d}", "older_than: 730d, notify: true}", 1), "retention.yaml:9:47: cleanup.lapsed_consents[0].notify: unknown key"},
		{"no purpose", strings.Replace(cleanupJob, "purpose: newsletter, ", "", 1), "retention.yaml:9:7: cleanup.lapsed_consents[0].purpose: required"},
		{"field", strings.Replace(cleanupJob, "custom.last_login", "email", 1), "retention.yaml:10:37: cleanup.inactive.field: want updated_at or custom.<name>"},
		{"empty", strings.Split(cleanupJob, "  state_older_than")[0][:len(strings.Split(cleanupJob, "  state_older_than")[0])-1] + " {}\n", "retention.yaml:5:10: cleanup: name at least one"},
		{"missing", strings.Split(cleanupJob, "cleanup:\n")[0], "cleanup: required"},
		{"export has no cleanup", strings.Replace(exportJob, "limits:", "cleanup: {abandoned_older_than: 90d}\nlimits:", 1), "cleanup: only a cleanup job has cleanup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Loader{}.Parse("retention.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}

// The inactivity field names a custom time (a last login); a profile
// without it falls back to updated_at.
func TestInactiveByCustomField(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	old, recent := start.AddDate(-4, 0, 0), start.AddDate(0, -1, 0)
	c := &Cleanup{Inactive: &Inactive{OlderThan: 3 * 365 * Day, Field: "custom.last_login"}}
	tests := []struct {
		name string
		p    profile.Profile
		due  bool
	}{
		{"logged in lately", profile.Profile{UpdatedAt: &old, Custom: map[string]any{"last_login": recent.Format(time.RFC3339)}}, false},
		{"not for years", profile.Profile{UpdatedAt: &recent, Custom: map[string]any{"last_login": old.Format(time.RFC3339)}}, true},
		{"no login: updated_at", profile.Profile{UpdatedAt: &old}, true},
		{"no time at all", profile.Profile{}, false},
	}
	for _, tt := range tests {
		if got := len(c.Due(&tt.p, start, time.Time{})) == 1; got != tt.due {
			t.Errorf("%s: due %v, want %v", tt.name, got, tt.due)
		}
	}
}
