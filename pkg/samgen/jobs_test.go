package samgen_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

func loadJobs(t *testing.T, dir string) *jobs.Set {
	t.Helper()
	set, err := jobs.Loader{Mapping: plugins.All.Loader()}.LoadFS(os.DirFS(dir), jobs.Dir)
	if err != nil {
		t.Fatalf("job files in %s: %v", dir, err)
	}
	return set
}

func job(t *testing.T, file, text string) *jobs.Set {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/jobs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/jobs/"+file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadJobs(t, dir)
}

func TestJobsOfShippedJobs(t *testing.T) {
	js := samgen.JobsOf(loadJobs(t, mappingsDir))
	if js == nil || len(js.List) == 0 {
		t.Fatal("no jobs from the shipped files")
	}
	i := slices.IndexFunc(js.List, func(j samgen.Job) bool { return j.Name == "newsletter" })
	if i < 0 {
		t.Fatal("no newsletter job")
	}
	n := js.List[i]
	if n.Expression != "cron(0 2 * * ? *)" || n.TimeZone != "Europe/Berlin" || n.Window != 15 || n.Kind != "s3" || n.Bucket != "" || n.Prefix != "newsletter/" {
		t.Errorf("newsletter = %+v", n)
	}
	if samgen.JobsOf(&jobs.Set{}) != nil {
		t.Error("JobsOf of no jobs is not nil")
	}
}

// TestShippedJobBlocks checks the jobs' resources as the template has
// them: the schedule of each job, what the function may do, and the
// limits AWS and the runner rely on.
func TestShippedJobBlocks(t *testing.T) {
	_, tpl := generateChecked(t, shippedOptions(t))
	res := tpl["Resources"].(map[string]any)
	get := func(path ...string) any {
		var v any = res
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: not a map at %s", strings.Join(path, "."), p)
			}
			v = m[p]
		}
		return v
	}
	for _, id := range []string{"JobsFunction", "JobsQueue", "JobsDeadLetterQueue", "JobsTable", "ExportBucket", "ExportBucketPolicy",
		"JobsSchedulerRole", "NewsletterJobSchedule", "JobsDLQAlarm", "JobsFunctionErrorsAlarm"} {
		if res[id] == nil {
			t.Errorf("no %s", id)
		}
	}
	fn := get("JobsFunction", "Properties").(map[string]any)
	if fn["Timeout"] != samgen.JobsTimeout || fn["MemorySize"] != samgen.JobsMemory {
		t.Errorf("JobsFunction Timeout %v MemorySize %v", fn["Timeout"], fn["MemorySize"])
	}
	if v := get("JobsQueue", "Properties", "VisibilityTimeout"); v.(int) < 6*samgen.JobsTimeout {
		t.Errorf("JobsQueue VisibilityTimeout %v < 6 x %d", v, samgen.JobsTimeout)
	}
	vars := get("JobsFunction", "Properties", "Environment", "Variables").(map[string]any)
	for _, v := range []string{"JOBS_TABLE", "JOBS_QUEUE_URL", "EXPORT_BUCKET", "EXPORT_KMS_KEY", "SECRET_ARNS", "ENVIRONMENT"} {
		if vars[v] == nil {
			t.Errorf("JobsFunction has no %s", v)
		}
	}
	arns, _ := vars["SECRET_ARNS"].(map[string]any)["Fn::Sub"].(string)
	if !strings.Contains(arns, `"cidaas":"${CidaasSecretArn}"`) {
		t.Errorf("SECRET_ARNS %s lacks the newsletter job's source", arns)
	}
	s := get("NewsletterJobSchedule", "Properties").(map[string]any)
	target := s["Target"].(map[string]any)
	if s["ScheduleExpression"] != "cron(0 2 * * ? *)" || s["ScheduleExpressionTimezone"] != "Europe/Berlin" ||
		get("NewsletterJobSchedule", "Properties", "FlexibleTimeWindow", "Mode") != "FLEXIBLE" ||
		get("NewsletterJobSchedule", "Properties", "FlexibleTimeWindow", "MaximumWindowInMinutes") != 15 ||
		target["Input"] != `{"job":"newsletter"}` || target["DeadLetterConfig"] == nil || target["RetryPolicy"] == nil {
		t.Errorf("NewsletterJobSchedule = %v", s)
	}
	// The scheduler may invoke the jobs function and nothing else.
	stmts := get("JobsSchedulerRole", "Properties", "Policies").([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	for _, st := range stmts {
		m := st.(map[string]any)
		if m["Action"] == "lambda:InvokeFunction" {
			if ga, _ := m["Resource"].(map[string]any)["Fn::GetAtt"].([]any); len(ga) != 2 || ga[0] != "JobsFunction" {
				t.Errorf("the scheduler may invoke %v", m["Resource"])
			}
		}
	}
	rules := get("ExportBucket", "Properties", "LifecycleConfiguration", "Rules").([]any)[0].(map[string]any)
	if ref, _ := rules["ExpirationInDays"].(map[string]any)["Ref"]; ref != "ExportRetentionDays" {
		t.Errorf("exports expire after %v, want the ExportRetentionDays parameter", rules["ExpirationInDays"])
	}
	if get("ExportBucket", "Properties", "VersioningConfiguration", "Status") != "Enabled" {
		t.Error("export bucket not versioned")
	}
	params := tpl["Parameters"].(map[string]any)
	if d := params["ExportRetentionDays"].(map[string]any)["Default"]; d != 90 {
		t.Errorf("ExportRetentionDays default %v", d)
	}
	if tpl["Outputs"].(map[string]any)["ExportBucketName"] == nil {
		t.Error("no ExportBucketName output")
	}
}

func TestNoJobsNoJobBlocks(t *testing.T) {
	opts := shippedOptions(t)
	opts.Jobs = nil
	out, tpl := generateChecked(t, opts)
	if strings.Contains(out, "JobsFunction") || tpl["Resources"].(map[string]any)["ExportBucket"] != nil {
		t.Error("job resources without jobs")
	}
}

// A schedule an environment overrides reaches the template: per Stage
// where the stages differ, as it is where they agree.
func TestJobScheduleByStage(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/jobs", 0o755); err != nil {
		t.Fatal(err)
	}
	src := `version: 1
kind: export
schedule: {cron: "0 2 * * ? *", timezone: Europe/Berlin, window: 15m}
source: cidaas
fields: {id: sub}
format: {type: ndjson}
destination: {kind: s3, prefix: p/}
environments:
  dev:
    schedule: {rate: 6 hours}
  staging:
    schedule: {rate: 1 hour}
`
	if err := os.WriteFile(dir+"/jobs/partner.yaml", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := jobs.Loader{Mapping: plugins.All.Loader()}
	opts := shippedOptions(t)
	opts.Jobs, opts.JobsForStage = samgen.JobsOf(loadJobs(t, dir)), samgen.JobsForStages(l, os.DirFS(dir), jobs.Dir)
	_, tpl := generateChecked(t, opts)
	get := func(path ...string) any {
		var v any = tpl["Resources"]
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	// The committed template's stages are dev and prod: dev runs every 6
	// hours, prod at 2 a.m. in Berlin with a window; staging is no stage.
	want := map[string]any{
		"ScheduleExpression":         map[string]any{"Fn::If": []any{"JobsOnDev", "rate(6 hours)", "cron(0 2 * * ? *)"}},
		"ScheduleExpressionTimezone": map[string]any{"Fn::If": []any{"JobsOnDev", "UTC", "Europe/Berlin"}},
	}
	for k, w := range want {
		if got := get("PartnerJobSchedule", "Properties", k); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s = %v, want %v", k, got, w)
		}
	}
	win := get("PartnerJobSchedule", "Properties", "FlexibleTimeWindow").(map[string]any)
	if fmt.Sprint(win["Mode"]) != fmt.Sprint(map[string]any{"Fn::If": []any{"JobsOnDev", "OFF", "FLEXIBLE"}}) ||
		fmt.Sprint(win["MaximumWindowInMinutes"]) != fmt.Sprint(map[string]any{"Fn::If": []any{"JobsOnDev", map[string]any{"Ref": "AWS::NoValue"}, 15}}) {
		t.Errorf("FlexibleTimeWindow = %v", win)
	}
	cond := tpl["Conditions"].(map[string]any)["JobsOnDev"]
	if fmt.Sprint(cond) != fmt.Sprint(map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Stage"}, "dev"}}) {
		t.Errorf("condition JobsOnDev = %v", cond)
	}
	if tpl["Conditions"].(map[string]any)["JobsOnProd"] != nil {
		t.Error("the chain's last stage needs no condition")
	}
}

func TestJobOwnBucketKeyAndSecrets(t *testing.T) {
	set := job(t, "partner.yaml", `version: 1
kind: export
schedule: {rate: 1 day}
source: cidaas
fields: {id: sub}
format: {type: ndjson, encrypt_to: partner-pgp}
destination: {kind: s3, bucket: partner-drop, prefix: in/, kms_key: "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
`)
	opts := shippedOptions(t)
	opts.Jobs, opts.JobsForStage = samgen.JobsOf(set), nil
	out, tpl := generateChecked(t, opts)
	for _, want := range []string{
		`- !Sub "arn:${AWS::Partition}:s3:::partner-drop/in/*"`,
		`- !Sub "arn:${AWS::Partition}:s3:::partner-drop"`,
		`- arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
		`"partner-pgp":"${PartnerPgpSecretArn}"`,
		`Mode: "OFF"`,
		`ScheduleExpression: "rate(1 day)"`,
		`ScheduleExpressionTimezone: "UTC"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("template lacks %s", want)
		}
	}
	if tpl["Parameters"].(map[string]any)["PartnerPgpSecretArn"] == nil {
		t.Error("no parameter for the job's secret")
	}
	if strings.Contains(out, `!Sub "${ExportBucket.Arn}"`) || strings.Contains(out, `${ExportBucket.Arn}/newsletter`) {
		t.Error("the function may write the export bucket though no job does")
	}

	set = job(t, "partner.yaml", strings.Replace(`version: 1
kind: export
schedule: {rate: 1 day}
source: cidaas
fields: {id: sub}
format: {type: ndjson}
destination: {kind: s3, kms_key: alias/exports}
`, "\t", "", -1))
	opts.Jobs = samgen.JobsOf(set)
	if _, err := samgen.Generate(committedTemplate(t), loadDir(t, mappingsDir), opts); err == nil || !strings.Contains(err.Error(), "key's ARN") {
		t.Errorf("err = %v, want the KMS key refused for not being an ARN", err)
	}
}
