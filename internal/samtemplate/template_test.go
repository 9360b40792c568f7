package samtemplate_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// shippedMapping is the mapping behind a template target (Salesforce →
// mappings/salesforce.yaml).
func shippedMapping(t *testing.T, target string) *mapping.Mapping {
	t.Helper()
	set, err := mapping.LoadFS(mappings.FS, ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Get(strings.ToLower(target))
	if m == nil {
		t.Fatalf("no mapping for %s", target)
	}
	return m
}

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
		if got := asJSON(at(t, fn, "Environment", "Variables", "EVENT_BUS")); got != `{"Ref":"EventBusName"}` {
			t.Errorf("%s EVENT_BUS = %s", tg, got)
		}
		policies := asJSON(at(t, fn, "Policies"))
		for _, want := range []string{
			`{"EventBridgePutEventsPolicy":{"EventBusName":{"Ref":"ProfileSyncBus"}}}`,
			`{"SQSPollerPolicy":{"QueueName":{"Fn::GetAtt":["` + tg + `Queue","QueueName"]}}}`,
			`{"SQSSendMessagePolicy":{"QueueName":{"Fn::GetAtt":["` + tg + `Queue","QueueName"]}}}`,
			`{"SQSSendMessagePolicy":{"QueueName":{"Fn::GetAtt":["` + tg + `DeadLetterQueue","QueueName"]}}}`,
			`{"DynamoDBCrudPolicy":{"TableName":{"Ref":"StateTable"}}}`,
			`{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::Sub":"${BodyBucket.Arn}/` + lower + `/*"}}`,
			`{"Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":"` + lower + `/*"}},"Effect":"Allow","Resource":{"Fn::GetAtt":["BodyBucket","Arn"]}}`,
		} {
			if !strings.Contains(policies, want) {
				t.Errorf("%s policies lack %s", tg, want)
			}
		}
		secrets := asJSON(at(t, fn, "Environment", "Variables", "SECRET_ARNS"))
		for _, want := range []string{tg + "SecretArn", "CidaasSecretArn", "AkamaiSecretArn", "ClerkSecretArn", "OktaSecretArn", "Auth0SecretArn"} {
			if !strings.Contains(secrets, want) {
				t.Errorf("%s SECRET_ARNS %s lacks %s", tg, secrets, want)
			}
		}
		ev := at(t, fn, "Events", "Queue", "Properties")
		// Both shipped mappings say 5 and 8 (delivery block); pkg/samgen
		// proves the values follow the mappings.
		if got := at(t, ev, "ScalingConfig", "MaximumConcurrency"); got != 5 {
			t.Errorf("%s MaximumConcurrency = %v", tg, got)
		}
		// Salesforce batches (sObject Collections), so it takes larger
		// queue batches gathered over a window; the webhook does not.
		size, window := 10, any(nil)
		if tg == "Salesforce" {
			size, window = 100, 5
		}
		if got := at(t, ev, "BatchSize"); got != size {
			t.Errorf("%s BatchSize = %v, want %d", tg, got, size)
		}
		if got := ev.(map[string]any)["MaximumBatchingWindowInSeconds"]; got != window {
			t.Errorf("%s MaximumBatchingWindowInSeconds = %v, want %v", tg, got, window)
		}
		// The queue keeps a message for the outage budget plus a day and
		// lets the retry schedule run the budget out; the oldest-message
		// alarm fires long before.
		policy := delivery.Policy{}.ForTarget(shippedMapping(t, tg).Delivery)
		budget := int(policy.ForTarget(mapping.Delivery{}).Budget.Seconds())
		q := at(t, tpl, "Resources", tg+"Queue", "Properties")
		if got, want := at(t, q, "MessageRetentionPeriod"), int(policy.Retention().Seconds()); got != want || want != budget+24*3600 {
			t.Errorf("%s retention = %v, want %d (the budget %d s + 1 day)", tg, got, want, budget)
		}
		if got, want := at(t, q, "RedrivePolicy", "maxReceiveCount"), policy.Receives(); got != want || want > 1000 {
			t.Errorf("%s maxReceiveCount = %v, want the policy's %d (at most 1000)", tg, got, want)
		}
		age := at(t, tpl, "Resources", tg+"OldestMessageAlarm", "Properties")
		if at(t, age, "MetricName") != "ApproximateAgeOfOldestMessage" || !strings.Contains(asJSON(at(t, age, "Dimensions")), tg+"Queue") {
			t.Errorf("%s oldest-message alarm watches %v", tg, at(t, age, "MetricName"))
		}
		if th, ok := at(t, age, "Threshold").(int); !ok || th > 3600 || th >= budget {
			t.Errorf("%s oldest-message alarm threshold %v s: want at most an hour, below the budget %d s", tg, at(t, age, "Threshold"), budget)
		}
		if got := at(t, tpl, "Resources", tg+"DeadLetterQueue", "Properties", "MessageRetentionPeriod"); got != 14*24*3600 {
			t.Errorf("%s DLQ retention = %v", tg, got)
		}
		alarm := at(t, tpl, "Resources", tg+"DLQAlarm", "Properties")
		if at(t, alarm, "MetricName") != "ApproximateNumberOfMessagesVisible" || at(t, alarm, "ComparisonOperator") != "GreaterThanThreshold" {
			t.Errorf("%s alarm is not DLQ depth > 0", tg)
		}
		errs := at(t, tpl, "Resources", tg+"SyncFunctionErrorsAlarm", "Properties")
		if at(t, errs, "Namespace") != "AWS/Lambda" || at(t, errs, "MetricName") != "Errors" || at(t, errs, "Period") != 300 {
			t.Errorf("%s errors alarm is not AWS/Lambda Errors over 5 min", tg)
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
	for _, src := range []string{"cidaas", "akamai", "clerk", "okta", "auth0", "keycloak", "zitadel", "logto", "generic", "fusionauth"} {
		out := asJSON(at(t, tpl, "Outputs", strings.ToUpper(src[:1])+src[1:]+"WebhookUrl", "Value"))
		if !strings.HasSuffix(out, `/webhooks/`+src+`"}`) {
			t.Errorf("webhook URL output for %s = %s", src, out)
		}
	}
}

// The ingress answers POST on /webhooks/{source}, and GET for the URL
// verification some platforms do first (Okta).
func TestTemplateWebhookRoutes(t *testing.T) {
	events := at(t, load(t), "Resources", "IngressFunction", "Properties", "Events")
	for name, method := range map[string]string{"Webhook": "POST", "WebhookChallenge": "GET"} {
		p := at(t, events, name, "Properties")
		if got := asJSON(p); !strings.Contains(got, `"Method":"`+method+`"`) || !strings.Contains(got, `"Path":"/webhooks/{source}"`) {
			t.Errorf("ingress event %s = %s, want %s /webhooks/{source}", name, got, method)
		}
	}
}

func TestTemplateEventBus(t *testing.T) {
	tpl := load(t)
	if got := at(t, tpl, "Resources", "ProfileSyncBus", "Type"); got != "AWS::Events::EventBus" {
		t.Fatalf("ProfileSyncBus is a %v", got)
	}
	if got := asJSON(at(t, tpl, "Resources", "ProfileSyncBus", "Properties", "Name")); got != `{"Ref":"EventBusName"}` {
		t.Errorf("ProfileSyncBus Name = %s", got)
	}
	if _, ok := at(t, tpl, "Parameters").(map[string]any)["MaxReceiveCount"]; ok {
		t.Error("MaxReceiveCount parameter is back; the mappings' delivery block sets it")
	}
}

// The bucket of envelopes too large for SQS: encrypted, private, one
// version, kept as long as a queue may hold a pointer to one; only the
// ingress writes, and each sync function reads its own target's prefix.
func TestTemplateBodyBucket(t *testing.T) {
	tpl := load(t)
	p := at(t, tpl, "Resources", "BodyBucket", "Properties")
	want := map[string]string{
		"BucketEncryption":               `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`,
		"PublicAccessBlockConfiguration": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
	}
	for k, w := range want {
		if got := asJSON(at(t, p, k)); got != w {
			t.Errorf("BodyBucket %s = %s, want %s", k, got, w)
		}
	}
	if v, ok := p.(map[string]any)["VersioningConfiguration"]; ok {
		t.Errorf("BodyBucket VersioningConfiguration = %s: versions would outlive the expiry", asJSON(v))
	}
	days := int((mapping.MaxOutageBudget + mapping.RetentionMargin).Hours() / 24)
	rules := asJSON(at(t, p, "LifecycleConfiguration", "Rules"))
	if !strings.Contains(rules, `"ExpirationInDays":`+strconv.Itoa(days)+`,`) || !strings.Contains(rules, `"Status":"Enabled"`) {
		t.Errorf("BodyBucket lifecycle %s, want expiry after %d days (the longest budget + the margin)", rules, days)
	}
	if got := asJSON(at(t, tpl, "Globals", "Function", "Environment", "Variables", "BODY_BUCKET")); got != `{"Ref":"BodyBucket"}` {
		t.Errorf("Globals BODY_BUCKET = %s", got)
	}
	ingress := asJSON(at(t, tpl, "Resources", "IngressFunction", "Properties", "Policies"))
	if want := `{"Statement":[{"Action":"s3:PutObject","Effect":"Allow","Resource":{"Fn::Sub":"${BodyBucket.Arn}/*"}}]}`; !strings.Contains(ingress, want) {
		t.Errorf("ingress policies lack %s", want)
	}
	if strings.Contains(ingress, "s3:GetObject") || strings.Contains(ingress, "s3:*") {
		t.Error("the ingress may read the body bucket")
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
