package jobs

import (
	"strings"
	"testing"
)

func TestJobFileLoads(t *testing.T) {
	j := job(t, exportJob)
	if j.Kind != KindExport || j.Schedule.Expression() != "cron(0 2 * * ? *)" || j.Schedule.TimeZone != "Europe/Berlin" ||
		j.PageSize != 10 || j.SegmentRows != 25 || j.Format.Type != "csv" || !j.Format.Gzip || !j.Format.Header || j.Dest.Kind != "dir" {
		t.Errorf("job = %+v", j)
	}
	if got := strings.Join(j.Fields.Columns(), ","); got != "id,email" {
		t.Errorf("columns = %s", got)
	}
}

func TestJobFormulas(t *testing.T) {
	if j := job(t, exportJob); j.Format.KeepFormulas {
		t.Error("formulas are escaped unless a job says keep")
	}
	if j := job(t, strings.Replace(exportJob, "gzip: true", "formulas: keep", 1)); !j.Format.KeepFormulas {
		t.Error("formulas: keep not read")
	}
}

func TestJobEnvironmentOverride(t *testing.T) {
	src := exportJob + "environments:\n  staging:\n    schedule: {rate: 6 hours}\n    limits: {page_size: 50}\n"
	j, err := Loader{Environment: "staging"}.Parse("newsletter.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if j.Schedule.Expression() != "rate(6 hours)" || j.PageSize != 50 || j.Schedule.TimeZone != "UTC" {
		t.Errorf("staging: %+v", j.Schedule)
	}
	j, _ = Loader{Environment: "production"}.Parse("newsletter.yaml", []byte(src))
	if j.Schedule.Expression() != "cron(0 2 * * ? *)" {
		t.Errorf("production took staging's schedule")
	}
}

func TestJobErrorsAtLineAndColumn(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"kind", strings.Replace(exportJob, "kind: export", "kind: backup", 1), "newsletter.yaml:2:7: kind: unknown kind"},
		{"cron", strings.Replace(exportJob, `"0 2 * * ? *"`, `"0 2 * *"`, 1), "newsletter.yaml:3:18: schedule.cron: must be EventBridge's six fields"},
		{"zone", strings.Replace(exportJob, "Europe/Berlin", "Mars/Olympus", 1), "newsletter.yaml:3:43: schedule.timezone: unknown time zone"},
		{"filter", strings.Replace(exportJob, "consents.newsletter.granted", "email +", 1), "newsletter.yaml:5:9: filter: expression"},
		{"field", strings.Replace(exportJob, "transform: [lower]", "transform: [nosuch]", 1), "newsletter.yaml:8:36: fields.email.transform.nosuch: unknown transform"},
		{"format", strings.Replace(exportJob, "type: csv", "type: xlsx", 1), "newsletter.yaml:9:9: format: unknown type \"xlsx\""},
		{"formulas", strings.Replace(exportJob, "gzip: true", "formulas: run", 1), "newsletter.yaml:9:31: format.formulas: must be escape or keep"},
		{"formulas in ndjson", strings.Replace(exportJob, "type: csv, gzip: true", "type: ndjson, formulas: keep", 1), "format: delimiter and formulas are for csv only"},
		{"destination", strings.Replace(exportJob, "kind: dir, path: /tmp/x", "kind: ftp", 1), "newsletter.yaml:10:14: destination.kind: unknown \"ftp\""},
		{"page size", strings.Replace(exportJob, "page_size: 10", "page_size: 5000", 1), "newsletter.yaml:11:21: limits.page_size: must be a whole number from 1 to 1000"},
		{"unknown key", exportJob + "retries: 3\n", "newsletter.yaml:12:1: retries: unknown key"},
		{"reconcile has no fields", strings.Replace(exportJob, "kind: export", "kind: reconcile\ntarget: salesforce", 1), "fields: only an export job has fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Loader{}.Parse("newsletter.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}
