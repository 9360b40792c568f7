package samtemplate_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
)

const templatePath = "../../template.yaml"

var targets = []string{"Salesforce", "Webhook"}

func load(t *testing.T) map[string]any {
	t.Helper()
	tpl, err := samtemplate.Load(templatePath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tpl
}

// at walks tpl along keys and list indexes ("Resources", "X", "Properties").
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: parent is %T, not a mapping", strings.Join(path, "."), v)
		}
		if v, ok = m[p]; !ok {
			t.Fatalf("%s: no %q", strings.Join(path, "."), p)
		}
	}
	return v
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTemplateMatchesSAMSchema(t *testing.T) {
	if err := samtemplate.Validate(load(t)); err != nil {
		t.Fatalf("template.yaml does not match the SAM schema:\n%v", err)
	}
}

func TestTemplateInvariants(t *testing.T) {
	tpl := load(t)
	for _, p := range samtemplate.CheckInvariants(tpl) {
		t.Error(p)
	}
	for _, p := range samtemplate.CheckReferences(tpl) {
		t.Error(p)
	}
}

func TestTemplatePerTargetResources(t *testing.T) {
	tpl := load(t)
	for _, tg := range targets {
		lower := strings.ToLower(tg)
		fn := at(t, tpl, "Resources", tg+"SyncFunction", "Properties")
		if got := at(t, fn, "Environment", "Variables", "TARGET"); got != lower {
			t.Errorf("%s TARGET = %v", tg, got)
		}
		if got := asJSON(at(t, fn, "Environment", "Variables", "STATE_TABLE")); got != `{"Ref":"StateTable"}` {
			t.Errorf("%s STATE_TABLE = %s", tg, got)
		}
		secrets := asJSON(at(t, fn, "Environment", "Variables", "SECRET_ARNS"))
		for _, want := range []string{tg + "SecretArn", "CidaasSecretArn", "AkamaiSecretArn", "ClerkSecretArn"} {
			if !strings.Contains(secrets, want) {
				t.Errorf("%s SECRET_ARNS %s lacks %s", tg, secrets, want)
			}
		}
		ev := at(t, fn, "Events", "Queue", "Properties")
		if got := asJSON(at(t, ev, "ScalingConfig", "MaximumConcurrency")); got != `{"Ref":"`+tg+`MaxConcurrency"}` {
			t.Errorf("%s MaximumConcurrency = %s", tg, got)
		}
		if got := at(t, ev, "BatchSize"); got != 10 {
			t.Errorf("%s BatchSize = %v", tg, got)
		}
		q := at(t, tpl, "Resources", tg+"Queue", "Properties")
		if got := at(t, q, "MessageRetentionPeriod"); got != 4*24*3600 {
			t.Errorf("%s retention = %v", tg, got)
		}
		if got := asJSON(at(t, q, "RedrivePolicy", "maxReceiveCount")); got != `{"Ref":"MaxReceiveCount"}` {
			t.Errorf("%s maxReceiveCount = %s", tg, got)
		}
		if got := at(t, tpl, "Resources", tg+"DeadLetterQueue", "Properties", "MessageRetentionPeriod"); got != 14*24*3600 {
			t.Errorf("%s DLQ retention = %v", tg, got)
		}
		alarm := at(t, tpl, "Resources", tg+"DLQAlarm", "Properties")
		if at(t, alarm, "MetricName") != "ApproximateNumberOfMessagesVisible" || at(t, alarm, "ComparisonOperator") != "GreaterThanThreshold" {
			t.Errorf("%s alarm is not DLQ depth > 0", tg)
		}
		p := at(t, tpl, "Parameters", tg+"MaxConcurrency")
		if at(t, p, "Default") != 5 || at(t, p, "MinValue") != 2 {
			t.Errorf("%s MaxConcurrency parameter = %v", tg, p)
		}
		if _, ok := at(t, tpl, "Outputs").(map[string]any)[tg+"DeadLetterQueueConsoleUrl"]; !ok {
			t.Errorf("no %sDeadLetterQueueConsoleUrl output", tg)
		}
	}
	urls := asJSON(at(t, tpl, "Resources", "IngressFunction", "Properties", "Environment", "Variables", "QUEUE_URLS"))
	for _, tg := range targets {
		if !strings.Contains(urls, `\"`+strings.ToLower(tg)+`\":\"${`+tg+`Queue}\"`) {
			t.Errorf("QUEUE_URLS %s lacks %s", urls, tg)
		}
	}
	for _, src := range []string{"cidaas", "akamai", "clerk"} {
		out := asJSON(at(t, tpl, "Outputs", strings.ToUpper(src[:1])+src[1:]+"WebhookUrl", "Value"))
		if !strings.HasSuffix(out, `/webhooks/`+src+`"}`) {
			t.Errorf("webhook URL output for %s = %s", src, out)
		}
	}
}

func TestTemplateStateTable(t *testing.T) {
	p := at(t, load(t), "Resources", "StateTable", "Properties")
	want := map[string]string{
		"BillingMode":                      `"PAY_PER_REQUEST"`,
		"TimeToLiveSpecification":          `{"AttributeName":"expires_at","Enabled":true}`,
		"PointInTimeRecoverySpecification": `{"PointInTimeRecoveryEnabled":true}`,
		"SSESpecification":                 `{"SSEEnabled":true}`,
		"KeySchema":                        `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`,
	}
	for k, w := range want {
		if got := asJSON(at(t, p, k)); got != w {
			t.Errorf("StateTable %s = %s, want %s", k, got, w)
		}
	}
}

// TestTemplateGeneratorMarkers pins the marker lines the target generator
// rewrites between.
func TestTemplateGeneratorMarkers(t *testing.T) {
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range []string{"TARGETS", "TARGET PARAMETERS", "TARGET QUEUE URLS", "TARGET INGRESS POLICIES", "TARGET OUTPUTS"} {
		begin := strings.Count(string(raw), "# BEGIN GENERATED "+block+"\n")
		end := strings.Count(string(raw), "# END GENERATED "+block+"\n")
		if begin != 1 || end != 1 {
			t.Errorf("marker pair %q found %d/%d times, want once each", block, begin, end)
		}
	}
}
