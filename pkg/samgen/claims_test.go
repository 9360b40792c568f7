package samgen_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/claims"
	authregistry "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

func loadRules(t *testing.T, dir string) *claims.RuleSet {
	t.Helper()
	rules, err := claims.Loader{CheckSettings: authregistry.CheckSettings}.LoadFS(os.DirFS(dir), claims.RulesDir)
	if err != nil {
		t.Fatalf("claim rules in %s: %v", dir, err)
	}
	return rules
}

// shippedOptions are what `profilesync template` passes for mappings/.
func shippedOptions(t *testing.T) samgen.Options {
	t.Helper()
	return samgen.Options{Claims: samgen.ClaimsOf(loadRules(t, mappingsDir)), Jobs: samgen.JobsOf(loadJobs(t, mappingsDir)),
		JobsForStage: samgen.JobsForStages(jobs.Loader{Mapping: plugins.All.Loader()}, os.DirFS(mappingsDir), jobs.Dir)}
}

func rule(t *testing.T, file, text string) *claims.Rule {
	t.Helper()
	r, err := claims.Loader{CheckSettings: authregistry.CheckSettings}.Parse(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// generateChecked renders the committed template and checks it the way
// the template tests check the committed one.
func generateChecked(t *testing.T, opts samgen.Options) (string, map[string]any) {
	t.Helper()
	out, err := samgen.Generate(committedTemplate(t), loadDir(t, mappingsDir), opts)
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
	return string(out), tpl
}

func TestClaimsOfShippedRules(t *testing.T) {
	rules := loadRules(t, mappingsDir)
	c := samgen.ClaimsOf(rules)
	if c == nil {
		t.Fatal("no claims from the shipped rules")
	}
	if c.RetryFor != rules.RetryFor() || c.RetryFor != claims.DefaultRetryFor {
		t.Errorf("RetryFor = %s, the verifier retries %s", c.RetryFor, rules.RetryFor())
	}
	if got := strings.Join(c.Secrets, ","); got != "npi-registry,salesforce,vies-registry" {
		t.Errorf("Secrets = %s", got)
	}
	if c.Manual {
		t.Error("Manual set; no shipped rule has a manual authority")
	}
	// The verifier reads its own secrets by these names.
	if samgen.ClaimsAPISecret != verifier.ClaimsAPISecret || samgen.ClaimsAPISecret != claims.CallersSpec.Kind ||
		samgen.ClaimsApprovalsSecret != verifier.ClaimsApprovalsSecret {
		t.Errorf("secret names %s, %s differ from the verifier's", samgen.ClaimsAPISecret, samgen.ClaimsApprovalsSecret)
	}
	if samgen.ClaimsOf(claims.NewRuleSet()) != nil {
		t.Error("ClaimsOf(no rules) is not nil")
	}
}

func TestClaimsBlocks(t *testing.T) {
	out, tpl := generateChecked(t, shippedOptions(t))
	res := tpl["Resources"].(map[string]any)
	for _, id := range []string{"ClaimsQueue", "ClaimsDeadLetterQueue", "ClaimsTable", "VerifierFunction", "ClaimsDLQAlarm",
		"ClaimsOldestMessageAlarm", "VerifierFunctionErrorsAlarm"} {
		if res[id] == nil {
			t.Errorf("no resource %s", id)
		}
	}
	if res["ApprovalTopic"] != nil {
		t.Error("an ApprovalTopic without a manual authority")
	}
	params := tpl["Parameters"].(map[string]any)
	for _, p := range []string{"ClaimsApiSecretArn", "NpiRegistrySecretArn", "ViesRegistrySecretArn"} {
		if params[p] == nil {
			t.Errorf("no parameter %s", p)
		}
	}
	if params["ClaimsApprovalsSecretArn"] != nil {
		t.Error("a claims-approvals parameter without a manual authority")
	}
	fn := js(res["VerifierFunction"])
	for _, want := range []string{
		// The salesforce authority shares the salesforce target's secret.
		`\"salesforce\":\"${SalesforceSecretArn}\"`, `\"npi-registry\":\"${NpiRegistrySecretArn}\"`,
		`\"claims-api\":\"${ClaimsApiSecretArn}\"`, `\"cidaas\":\"${CidaasSecretArn}\"`,
		`{"SecretArn":{"Ref":"ViesRegistrySecretArn"}}`, `{"SecretArn":{"Ref":"SalesforceSecretArn"}}`,
		`"CLAIMS_TABLE":{"Ref":"ClaimsTable"}`, `"QUEUE_URL":{"Ref":"ClaimsQueue"}`, `"DLQ_URL":{"Ref":"ClaimsDeadLetterQueue"}`,
		`{"DynamoDBCrudPolicy":{"TableName":{"Ref":"ClaimsTable"}}}`,
		`{"SQSSendMessagePolicy":{"QueueName":{"Fn::GetAtt":["ClaimsDeadLetterQueue","QueueName"]}}}`,
		`"Method":"ANY","Path":"/claims/{proxy+}"`, `"FunctionResponseTypes":["ReportBatchItemFailures"]`,
	} {
		if !strings.Contains(fn, want) {
			t.Errorf("VerifierFunction lacks %s", want)
		}
	}
	if strings.Count(fn, "AWSSecretsManagerGetSecretValuePolicy") != strings.Count(fn, `SecretArn}\"`) {
		t.Errorf("SECRET_ARNS and the secret policies differ: %s", fn)
	}
	for _, absent := range []string{"APPROVAL_TOPIC_ARN", "Reminders", "SNSPublishMessagePolicy"} {
		if strings.Contains(fn, absent) {
			t.Errorf("VerifierFunction has %s without a manual authority", absent)
		}
	}
	q := js(res["ClaimsQueue"])
	if want := fmt.Sprintf(`"maxReceiveCount":%d`, delivery.Policy{Budget: claims.DefaultRetryFor}.Receives()); !strings.Contains(q, want) ||
		!strings.Contains(q, `"MessageRetentionPeriod":345600`) {
		t.Errorf("ClaimsQueue = %s, want %s and 4 days of retention", q, want)
	}
	ingress := js(res["IngressFunction"])
	for _, want := range []string{`\"claims\":\"${ClaimsQueue}\"`, `{"SQSSendMessagePolicy":{"QueueName":{"Fn::GetAtt":["ClaimsQueue","QueueName"]}}}`} {
		if !strings.Contains(ingress, want) {
			t.Errorf("IngressFunction lacks %s", want)
		}
	}
	if !strings.Contains(out, "/claims/verify\n") {
		t.Error("no claims verify URL output")
	}
}

// A manual authority brings the approvals secret, the approvers' topic
// and the reminder schedule; a longer retry_for lengthens the queue's.
func TestClaimsManualApproval(t *testing.T) {
	r := rule(t, "partner.yaml", `version: 1
claim: partner
declared: custom.partner_id
authorities:
  - kind: manual
    settings: {approvers: [partner-desk]}
retry_for: 5d
write_back: {status: partner_status}
`)
	out, tpl := generateChecked(t, samgen.Options{Claims: samgen.ClaimsOf(claims.NewRuleSet(r))})
	res := tpl["Resources"].(map[string]any)
	if topic := js(res["ApprovalTopic"]); !strings.Contains(topic, `"KmsMasterKeyId":"alias/aws/sns"`) {
		t.Errorf("ApprovalTopic = %s", topic)
	}
	fn := js(res["VerifierFunction"])
	for _, want := range []string{
		`"APPROVAL_TOPIC_ARN":{"Ref":"ApprovalTopic"}`, `\"claims-approvals\":\"${ClaimsApprovalsSecretArn}\"`,
		`{"SNSPublishMessagePolicy":{"TopicName":{"Fn::GetAtt":["ApprovalTopic","TopicName"]}}}`,
		`"Reminders":{"Properties":{"Description":"Reminders of pending manual approvals of claims.","Schedule":"rate(1 hour)"},"Type":"Schedule"}`,
	} {
		if !strings.Contains(fn, want) {
			t.Errorf("VerifierFunction lacks %s:\n%s", want, fn)
		}
	}
	if strings.Contains(fn, "NpiRegistrySecretArn") {
		t.Error("a secret no rule names")
	}
	if want := fmt.Sprintf("maxReceiveCount: %d # the retries of a 5d retry_for", delivery.Policy{Budget: 5 * 24 * time.Hour}.Receives()); !strings.Contains(out, want) {
		t.Errorf("lacks %q", want)
	}
}

// Without rules there is no verifier and the ingress routes nothing to it.
func TestNoClaimRules(t *testing.T) {
	out, tpl := generateChecked(t, samgen.Options{})
	for _, id := range []string{"VerifierFunction", "ClaimsQueue", "ClaimsTable"} {
		if tpl["Resources"].(map[string]any)[id] != nil {
			t.Errorf("resource %s without rules", id)
		}
	}
	if strings.Contains(out, "ClaimsQueue") || strings.Contains(out, "ClaimsApiSecretArn") {
		t.Error("the template still names the claims queue or secret")
	}
}

func TestClaimSecretTakingAnotherParameter(t *testing.T) {
	// A rule secret "webhook" is the webhook target's (shared); one called
	// "Webhook" would take its parameter while being another secret.
	c := &samgen.Claims{Secrets: []string{"Webhook"}, RetryFor: time.Hour}
	_, err := samgen.Generate(committedTemplate(t), loadDir(t, mappingsDir), samgen.Options{Claims: c})
	if err == nil || !strings.Contains(err.Error(), `secret "Webhook" would take parameter WebhookSecretArn`) {
		t.Fatalf("err = %v", err)
	}
	c.Secrets = []string{"webhook"}
	if _, err := samgen.Generate(committedTemplate(t), loadDir(t, mappingsDir), samgen.Options{Claims: c}); err != nil {
		t.Fatalf("a target's secret named by a rule: %v", err)
	}
}
