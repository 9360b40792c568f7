package samgen_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

const (
	templatePath = "../../template.yaml"
	mappingsDir  = "../../mappings"
)

func committedTemplate(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadDir(t *testing.T, dir string) *mapping.Set {
	t.Helper()
	set, err := plugins.All.LoadMappings(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return set
}

// TestCommittedTemplateIsGenerated is what makes `make test` fail when a
// mapping changes and template.yaml was not regenerated (or a generated
// line was edited by hand).
func TestCommittedTemplateIsGenerated(t *testing.T) {
	old := committedTemplate(t)
	got, err := samgen.Generate(old, loadDir(t, mappingsDir), shippedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := samgen.Diff(old, got, 40); d != "" {
		t.Fatalf("template.yaml is not what mappings/ generates (- committed, + generated):\n%s"+
			"run `go run ./cmd/profilesync template` and commit template.yaml", d)
	}
}

// TestNewMappingAddsCompleteBlock adds a target the way a user would (a
// mapping file in a copy of mappings/) and checks the result is a template
// SAM accepts, with every per-target resource and reference in place.
func TestNewMappingAddsCompleteBlock(t *testing.T) {
	dir := t.TempDir()
	entries, _ := filepath.Glob(filepath.Join(mappingsDir, "*.yaml"))
	for _, src := range entries {
		copyFile(t, src, filepath.Join(dir, filepath.Base(src)))
	}
	webhook, err := os.ReadFile(filepath.Join(mappingsDir, "webhook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crm := strings.Replace(string(webhook), "max_concurrency: 5\n  outage_budget: 24h", "max_concurrency: 3\n  outage_budget: 3d", 1)
	if crm == string(webhook) {
		t.Fatal("webhook.yaml's delivery block changed; update this test")
	}
	if err := os.WriteFile(filepath.Join(dir, "crm-eu.yaml"), []byte(crm), 0o644); err != nil {
		t.Fatal(err)
	}

	old := committedTemplate(t)
	out, err := samgen.Generate(old, loadDir(t, dir), shippedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := samtemplate.Validate(tpl); err != nil {
		t.Errorf("SAM schema: %v", err)
	}
	for _, p := range append(samtemplate.CheckInvariants(tpl), samtemplate.CheckReferences(tpl)...) {
		t.Error(p)
	}

	res := tpl["Resources"].(map[string]any)
	for _, id := range []string{"CrmEuQueue", "CrmEuDeadLetterQueue", "CrmEuSyncFunction", "CrmEuDLQAlarm", "CrmEuSyncFunctionErrorsAlarm"} {
		if res[id] == nil {
			t.Errorf("no resource %s", id)
		}
	}
	if tpl["Parameters"].(map[string]any)["CrmEuSecretArn"] == nil {
		t.Error("no CrmEuSecretArn parameter")
	}
	if tpl["Outputs"].(map[string]any)["CrmEuDeadLetterQueueConsoleUrl"] == nil {
		t.Error("no CrmEuDeadLetterQueueConsoleUrl output")
	}
	fn := js(res["CrmEuSyncFunction"])
	for _, want := range []string{
		`"TARGET":"crm-eu"`, `"MaximumConcurrency":3`, `"BatchSize":10`, `"FunctionResponseTypes":["ReportBatchItemFailures"]`,
		`\"crm-eu\":\"${CrmEuSecretArn}\"`, `{"SecretArn":{"Ref":"CrmEuSecretArn"}}`,
	} {
		if !strings.Contains(fn, want) {
			t.Errorf("CrmEuSyncFunction lacks %s:\n%s", want, fn)
		}
	}
	if q := js(res["CrmEuQueue"]); !strings.Contains(q, fmt.Sprintf(`"maxReceiveCount":%d`, delivery.Policy{Budget: 72 * time.Hour}.Receives())) ||
		!strings.Contains(q, `"MessageRetentionPeriod":345600`) || !strings.Contains(q, `"VisibilityTimeout":180`) {
		t.Errorf("CrmEuQueue = %s", q)
	}
	ingress := js(res["IngressFunction"])
	for _, want := range []string{`\"crm-eu\":\"${CrmEuQueue}\"`, `{"Fn::GetAtt":["CrmEuQueue","QueueName"]}`} {
		if !strings.Contains(ingress, want) {
			t.Errorf("IngressFunction lacks %s", want)
		}
	}

	// Hand-written lines are untouched, and a second run changes nothing.
	if a, b := handWritten(t, old), handWritten(t, out); a != b {
		t.Errorf("lines outside the markers changed:\n%s", samgen.Diff([]byte(a), []byte(b), 20))
	}
	again, err := samgen.Generate(out, loadDir(t, dir), shippedOptions(t))
	if err != nil || string(again) != string(out) {
		t.Errorf("second run differs (err %v):\n%s", err, samgen.Diff(out, again, 20))
	}
}

// TestLogicalIDMatchesDevstack keeps the replicated naming rule in step with
// the one `profilesync invoke` resolves functions by.
func TestLogicalIDMatchesDevstack(t *testing.T) {
	for _, name := range []string{"salesforce", "webhook", "crm-eu", "my-crm-2", "a", "x-"} {
		if got, want := samgen.LogicalID(name)+"SyncFunction", devstack.SyncFunctionID(name); got != want {
			t.Errorf("LogicalID(%q) = %s, devstack says %s", name, got, want)
		}
	}
}

func TestDeliverySettings(t *testing.T) {
	tests := []struct {
		delivery string
		want     []string // substrings of the output, or of the error
		err      bool
	}{
		{"", []string{"MaximumConcurrency: 5 #", "maxReceiveCount: 202 #", "MessageRetentionPeriod: 172800 #", "Threshold: 3600\n"}, false},
		{"delivery: {max_concurrency: 2, outage_budget: 2h}", []string{"MaximumConcurrency: 2 #", "MessageRetentionPeriod: 93600 #",
			fmt.Sprintf("maxReceiveCount: %d #", delivery.Policy{Budget: 2 * time.Hour}.Receives()), "Threshold: 1800\n"}, false},
		{"delivery: {outage_budget: 13d}", []string{"MessageRetentionPeriod: 1209600 #"}, false},
		{"delivery: {max_concurrency: 1}", []string{"crm.yaml: delivery.max_concurrency: 1 is outside 2-1000"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.delivery, func(t *testing.T) {
			set := mapping.NewSet(parse(t, "crm.yaml", tt.delivery))
			out, err := samgen.Generate(committedTemplate(t), set, samgen.Options{})
			got := string(out)
			if tt.err {
				if err == nil {
					t.Fatal("no error")
				}
				got = err.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestLogicalIDCollision(t *testing.T) {
	set := mapping.NewSet(parse(t, "a-1.yaml", ""), parse(t, "a1.yaml", ""))
	_, err := samgen.Generate(committedTemplate(t), set, samgen.Options{})
	if err == nil || !strings.Contains(err.Error(), "logical id A1") {
		t.Fatalf("err = %v, want a logical id collision", err)
	}
}

func TestBatchingWindowHook(t *testing.T) {
	set := mapping.NewSet(parse(t, "crm.yaml", ""))
	opts := samgen.Options{BatchingWindow: func(*mapping.Mapping) int { return 20 }}
	out, err := samgen.Generate(committedTemplate(t), set, opts)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	ev := js(tpl["Resources"].(map[string]any)["CrmSyncFunction"])
	if !strings.Contains(ev, `"MaximumBatchingWindowInSeconds":20`) {
		t.Fatalf("no batching window: %s", ev)
	}
	if err := samtemplate.Validate(tpl); err != nil {
		t.Fatal(err)
	}
}

// TestVisibilityFollowsFunctionTimeout raises the hand-written Globals
// Timeout: the generated queues follow, and the invariants still hold.
func TestVisibilityFollowsFunctionTimeout(t *testing.T) {
	tpl := strings.Replace(string(committedTemplate(t)), "    Timeout: 30\n", "    Timeout: 45\n", 1)
	out, err := samgen.Generate([]byte(tpl), loadDir(t, mappingsDir), samgen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "VisibilityTimeout: 270 # 6 x the function Timeout (45)") {
		t.Fatalf("visibility does not follow the timeout:\n%s", out)
	}
	decoded, err := samtemplate.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range samtemplate.CheckInvariants(decoded) {
		t.Error(p)
	}
}

func parse(t *testing.T, file, delivery string) *mapping.Mapping {
	t.Helper()
	m, err := mapping.Parse(file, []byte("version: 1\nconnector: generic\nevents: [created]\n"+delivery+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// handWritten is the template without the lines between markers.
func handWritten(t *testing.T, b []byte) string {
	t.Helper()
	var out []string
	inside := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.Contains(l, "# BEGIN GENERATED "):
			inside = true
			out = append(out, l)
		case strings.Contains(l, "# END GENERATED "):
			inside = false
			out = append(out, l)
		case !inside:
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
