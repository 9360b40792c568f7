package samtemplate_test

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
)

func props(t *testing.T, tpl map[string]any, resource string) map[string]any {
	t.Helper()
	return at(t, tpl, "Resources", resource, "Properties").(map[string]any)
}

func TestSchemaCatchesMisspeltFunctionProperty(t *testing.T) {
	tpl := load(t)
	p := props(t, tpl, "IngressFunction")
	p["CodeUrl"] = p["CodeUri"]
	delete(p, "CodeUri")
	err := samtemplate.Validate(tpl)
	if err == nil || !strings.Contains(err.Error(), "CodeUrl") {
		t.Fatalf("Validate = %v, want an error naming CodeUrl", err)
	}
}

func TestInvariantsCatchMutations(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, tpl map[string]any)
		want   string
	}{
		{"missing RedrivePolicy", func(t *testing.T, tpl map[string]any) {
			delete(props(t, tpl, "SalesforceQueue"), "RedrivePolicy")
		}, "queue SalesforceQueue has no RedrivePolicy"},
		{"no ReportBatchItemFailures", func(t *testing.T, tpl map[string]any) {
			delete(at(t, tpl, "Resources", "WebhookSyncFunction", "Properties", "Events", "Queue", "Properties").(map[string]any), "FunctionResponseTypes")
		}, "WebhookSyncFunction.Queue: FunctionResponseTypes"},
		{"no MaximumConcurrency", func(t *testing.T, tpl map[string]any) {
			delete(at(t, tpl, "Resources", "WebhookSyncFunction", "Properties", "Events", "Queue", "Properties").(map[string]any), "ScalingConfig")
		}, "ScalingConfig.MaximumConcurrency is not set"},
		{"short visibility timeout", func(t *testing.T, tpl map[string]any) {
			props(t, tpl, "WebhookQueue")["VisibilityTimeout"] = 60
		}, "VisibilityTimeout 60 < 6 x function Timeout 30"},
		{"function timeout raised above the queue's", func(t *testing.T, tpl map[string]any) {
			props(t, tpl, "SalesforceSyncFunction")["Timeout"] = 60
		}, "VisibilityTimeout 185 < 6 x function Timeout 60 + MaximumBatchingWindowInSeconds 5"},
		{"batching window not in the visibility timeout", func(t *testing.T, tpl map[string]any) {
			props(t, tpl, "SalesforceQueue")["VisibilityTimeout"] = 180
		}, "VisibilityTimeout 180 < 6 x function Timeout 30 + MaximumBatchingWindowInSeconds 5"},
		{"large batch without a window", func(t *testing.T, tpl map[string]any) {
			delete(at(t, tpl, "Resources", "SalesforceSyncFunction", "Properties", "Events", "Queue", "Properties").(map[string]any), "MaximumBatchingWindowInSeconds")
		}, "SalesforceSyncFunction.Queue: BatchSize 100 > 10 without a MaximumBatchingWindowInSeconds"},
		{"x86_64", func(t *testing.T, tpl map[string]any) {
			props(t, tpl, "IngressFunction")["Architectures"] = []any{"x86_64"}
		}, "IngressFunction: Architectures"},
		{"other runtime", func(t *testing.T, tpl map[string]any) {
			props(t, tpl, "IngressFunction")["Runtime"] = "go1.x"
		}, "IngressFunction: Runtime go1.x"},
		{"other handler", func(t *testing.T, tpl map[string]any) {
			at(t, tpl, "Globals", "Function").(map[string]any)["Handler"] = "main"
		}, "SalesforceSyncFunction: Handler main"},
		{"wildcard inline statement", func(t *testing.T, tpl map[string]any) {
			p := props(t, tpl, "IngressFunction")
			p["Policies"] = append(p["Policies"].([]any), map[string]any{"Statement": []any{
				map[string]any{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
			}})
		}, `Statement[0]: Resource "*"`},
		{"managed policy", func(t *testing.T, tpl map[string]any) {
			p := props(t, tpl, "IngressFunction")
			p["Policies"] = append(p["Policies"].([]any), "AmazonSQSFullAccess")
		}, "managed policy AmazonSQSFullAccess"},
		{"function without an errors alarm", func(t *testing.T, tpl map[string]any) {
			delete(at(t, tpl, "Resources").(map[string]any), "WebhookSyncFunctionErrorsAlarm")
		}, "WebhookSyncFunction: no AWS::CloudWatch::Alarm on its AWS/Lambda Errors metric"},
		{"policy template on a literal", func(t *testing.T, tpl map[string]any) {
			p := props(t, tpl, "IngressFunction")
			p["Policies"] = append(p["Policies"].([]any), map[string]any{"SQSSendMessagePolicy": map[string]any{"QueueName": "*"}})
		}, "SQSSendMessagePolicy.QueueName = * does not reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := load(t)
			tt.mutate(t, tpl)
			problems := samtemplate.CheckInvariants(tpl)
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Fatalf("no problem containing %q; got %q", tt.want, problems)
		})
	}
}

func TestReferencesCatchTypos(t *testing.T) {
	tpl := load(t)
	vars := at(t, tpl, "Resources", "SalesforceSyncFunction", "Properties", "Environment", "Variables").(map[string]any)
	vars["QUEUE_URL"] = map[string]any{"Ref": "SalesforceQeueu"}
	vars["SECRET_ARNS"] = map[string]any{"Fn::Sub": `{"salesforce":"${SalesforceSecret}","x":"${!Literal}","y":"${AWS::Region}"}`}
	props(t, tpl, "SalesforceDLQAlarm")["AlarmActions"] = map[string]any{"Fn::If": []any{"HasTopic", "a", "b"}}
	got := strings.Join(samtemplate.CheckReferences(tpl), "\n")
	for _, want := range []string{"Ref SalesforceQeueu is not declared", "Sub ${SalesforceSecret} is not declared", "condition HasTopic is not declared"} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckReferences lacks %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Literal") || strings.Contains(got, "AWS::Region") {
		t.Errorf("escapes or pseudo parameters reported:\n%s", got)
	}
}
