package lambdatest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// employeeSubject declares the employee claim (mappings/claims/employee.yaml)
// with a verified address at example.com: the emaildomain authority
// decides without the network.
const employeeSubject = "0c1d2e3f-4a5b-4c6d-8e7f-employee0001"

// TestVerifier feeds the verifier function a thin cidaas event on its
// queue, as the SQS event source mapping would: it fetches the profile
// from the cidaas fake, decides the employee claim, records the decision
// in DynamoDB, writes the verdict back to cidaas and announces it on the
// bus. The same binary answers API Gateway and the reminder schedule.
func TestVerifier(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	env := s.verifierEnv(t)
	fn := startFunctionEnv(t, s, bins["verifier"], "VerifierFunction", env, nil)
	var secrets map[string]string
	if err := json.Unmarshal([]byte(env["SECRET_ARNS"]), &secrets); err != nil {
		t.Fatal(err)
	}
	decided := s.claimDecidedQueue(t, env["EVENT_BUS"])
	s.sandbox.Cidaas.Put(&profile.Profile{Sub: employeeSubject, Email: "sam.tester@example.com", EmailVerified: true,
		Custom: map[string]any{"declared_role": "employee"}})

	t.Run("a queued event is decided, recorded, written back and announced", func(t *testing.T) {
		record := s.verifierRecord(t, env["QUEUE_URL"], profile.Event{ID: newRequestID(), Source: "cidaas", Type: profile.Updated,
			Subject: employeeSubject, OccurredAt: time.Now().UTC(), ReceivedAt: time.Now().UTC()})
		resp := invokeSync(t, fn, record)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batchItemFailures %+v, want none", resp.BatchItemFailures)
		}
		latest := s.claimItem(t, env["CLAIMS_TABLE"], "claim#"+employeeSubject, "latest#employee")
		if v, ok := latest["verdict"].(*dbtypes.AttributeValueMemberS); !ok || v.Value != "verified" {
			t.Errorf("latest decision verdict %v, want verified", latest["verdict"])
		}
		if _, ok := latest["expires_at_epoch"].(*dbtypes.AttributeValueMemberN); !ok {
			t.Errorf("latest decision has no expires_at_epoch (audit TTL)")
		}
		var wrote map[string]any
		for _, u := range s.sandbox.Cidaas.Updates() {
			if u.Sub == employeeSubject {
				wrote = u.CustomFields
			}
		}
		if wrote["employee_status"] != "verified" || wrote["employee_discount"] != true {
			t.Errorf("cidaas write-back customFields %v, want employee_status verified and employee_discount true", wrote)
		}
		body := receiveOne(t, s, decided)
		var ev struct {
			DetailType string         `json:"detail-type"`
			Detail     map[string]any `json:"detail"`
		}
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType != "ClaimDecided" || ev.Detail["subject"] != employeeSubject || ev.Detail["verdict"] != "verified" ||
			ev.Detail["rule"] != "employee" {
			t.Errorf("ClaimDecided event %s", body)
		}
	})
	t.Run("POST /claims/verify refuses an unknown caller", func(t *testing.T) {
		// 401 when the claims-api secret lists callers, 503 without it.
		want := http.StatusServiceUnavailable
		if secrets["claims-api"] != "" {
			want = http.StatusUnauthorized
		}
		raw := fn.invoke(t, events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "$default", RawPath: "/claims/verify", Body: `{}`,
			Headers: map[string]string{"content-type": "application/json"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: "$default", Stage: "$default",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: "/claims/verify"}},
		})
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			t.Fatalf("response %s: %v", raw, err)
		}
		if resp.StatusCode != want {
			t.Errorf("status %d, want %d; body %s", resp.StatusCode, want, resp.Body)
		}
	})
	t.Run("the schedule runs the reminders", func(t *testing.T) {
		raw := fn.invoke(t, json.RawMessage(`{"version":"0","id":"1f0c6f4e-0d6b-4a53-9e43-2b9d2a7c1e11","detail-type":"Scheduled Event",
			"source":"aws.events","account":"`+moto.AccountID+`","time":"2026-12-02T16:00:00Z","region":"`+moto.Region+`",
			"resources":["arn:aws:events:`+moto.Region+`:`+moto.AccountID+`:rule/remind"],"detail":{}}`))
		if string(raw) != `{"reminded":0,"expired":0}` {
			t.Errorf("scheduled run answered %s", raw)
		}
	})
	t.Run("logs carry no personal data", func(t *testing.T) {
		for _, pii := range []string{"sam.tester", "example.com"} {
			if strings.Contains(fn.logs(), pii) {
				t.Errorf("verifier logged %q", pii)
			}
		}
	})
}

// verifierEnv is the template's VerifierFunction environment. Until the
// template defines the function, it stands up what the verifier needs
// beside the stack: its claims table, queue and dead-letter queue, and
// the authorities' secrets pointing at the sandbox's registries; the rest
// is the salesforce sync function's environment (the same globals, bus
// and secrets).
func (s *stack) verifierEnv(t *testing.T) map[string]string {
	t.Helper()
	if _, ok := mapOf(s.tpl["Resources"])["VerifierFunction"]; ok {
		return s.functionEnv(t, "VerifierFunction")
	}
	s.createQueue(t, "VerifierDeadLetterQueue", map[string]any{})
	s.createQueue(t, "VerifierQueue", map[string]any{"VisibilityTimeout": "180"})
	s.createTable(t, "VerifierClaimsTable", map[string]any{
		"AttributeDefinitions": []any{
			map[string]any{"AttributeName": "pk", "AttributeType": "S"},
			map[string]any{"AttributeName": "sk", "AttributeType": "S"},
		},
		"KeySchema": []any{
			map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
			map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
		},
		"TimeToLiveSpecification": map[string]any{"AttributeName": "expires_at_epoch", "Enabled": true},
	})
	sm := secretsmanager.NewFromConfig(s.aws)
	arns := map[string]string{"cidaas": s.refs["CidaasSecretArn"], "salesforce": s.refs["SalesforceSecretArn"]}
	for name, value := range map[string]string{
		"npi-registry":  `{"base_url":"` + s.sandboxURL + sandbox.Prefix + `/npi/api/"}`,
		"vies-registry": `{"base_url":"` + s.sandboxURL + sandbox.Prefix + `/vies/rest-api"}`,
	} {
		out, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
			Name: awssdk.String(s.prefix + "/" + name), SecretString: awssdk.String(value)})
		if err != nil {
			t.Fatalf("create secret %s: %v", name, err)
		}
		arns[name] = *out.ARN
	}
	secretARNs, _ := json.Marshal(arns)
	env := s.functionEnv(t, "SalesforceSyncFunction")
	delete(env, "TARGET")
	delete(env, "STATE_TABLE")
	env["SOURCES"] = "cidaas"
	env["SECRET_ARNS"] = string(secretARNs)
	env["CLAIMS_TABLE"] = s.refs["VerifierClaimsTable"]
	env["QUEUE_URL"], env["DLQ_URL"] = s.refs["VerifierQueue"], s.refs["VerifierDeadLetterQueue"]
	if env["EVENT_BUS"] == "" {
		t.Fatal("the sync function's environment has no EVENT_BUS to borrow")
	}
	return env
}

// claimDecidedQueue is a queue that a rule on bus fills with ClaimDecided
// events.
func (s *stack) claimDecidedQueue(t *testing.T, bus string) string {
	t.Helper()
	s.createQueue(t, "ClaimDecidedQueue", map[string]any{})
	url := s.refs["ClaimDecidedQueue"]
	eb := eventbridge.NewFromConfig(s.aws)
	rule := s.prefix + "-claim-decided"
	if _, err := eb.PutRule(t.Context(), &eventbridge.PutRuleInput{
		Name: awssdk.String(rule), EventBusName: awssdk.String(bus),
		EventPattern: awssdk.String(`{"source":["profilesync"],"detail-type":["ClaimDecided"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(t.Context(), &eventbridge.PutTargetsInput{
		Rule: awssdk.String(rule), EventBusName: awssdk.String(bus),
		Targets: []ebtypes.Target{{Id: awssdk.String("queue"), Arn: awssdk.String(s.queueARNs[url])}},
	}); err != nil {
		t.Fatal(err)
	}
	return url
}

// verifierRecord puts e on the verifier's queue as the ingress does
// (target claims) and returns it as the event source mapping delivers it.
func (s *stack) verifierRecord(t *testing.T, queueURL string, e profile.Event) events.SQSMessage {
	t.Helper()
	body, err := json.Marshal(profile.Envelope{Version: profile.EnvelopeVersion, Target: claims.QueueName, Event: e})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: awssdk.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 1,
		WaitTimeSeconds: 5, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from the verifier's queue: %d messages, %v", len(out.Messages), err)
	}
	return s.sqsRecord(queueURL, out.Messages[0])
}

func (s *stack) claimItem(t *testing.T, table, pk, sk string) map[string]dbtypes.AttributeValue {
	t.Helper()
	out, err := s.dynamo.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &table, ConsistentRead: awssdk.Bool(true),
		Key: map[string]dbtypes.AttributeValue{"pk": &dbtypes.AttributeValueMemberS{Value: pk}, "sk": &dbtypes.AttributeValueMemberS{Value: sk}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Item) == 0 {
		t.Fatalf("claims table has no item %s / %s", pk, sk)
	}
	return out.Item
}

// receiveOne polls queueURL until a message arrives (10 s at most).
func receiveOne(t *testing.T, s *stack, queueURL string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 {
			return awssdk.ToString(out.Messages[0].Body)
		}
	}
	t.Fatal("no message within 10 s")
	return ""
}
