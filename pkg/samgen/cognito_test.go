package samgen_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/samgen"
)

// The Cognito trigger is optional: its function, permission and alarm
// all carry HasCognitoUserPool, which tests the CognitoUserPoolId
// parameter (empty by default); the permission is for Cognito and this
// pool only; and the function enqueues where the ingress does.
func TestCognitoTriggerBlock(t *testing.T) {
	for name, opts := range map[string]samgen.Options{"shipped": shippedOptions(t), "no claim rules": {}} {
		t.Run(name, func(t *testing.T) {
			_, tpl := generateChecked(t, opts)
			res := tpl["Resources"].(map[string]any)
			for _, id := range []string{"CognitoTriggerFunction", "CognitoTriggerPermission", "CognitoTriggerFunctionErrorsAlarm",
				"CognitoTriggerLogs", "CognitoNotEnqueuedMetric", "CognitoNotEnqueuedAlarm"} {
				r, _ := res[id].(map[string]any)
				if r == nil || r["Condition"] != "HasCognitoUserPool" {
					t.Errorf("%s: %v, want a resource with Condition HasCognitoUserPool", id, r)
				}
			}
			cond := tpl["Conditions"].(map[string]any)["HasCognitoUserPool"]
			if b, _ := json.Marshal(cond); string(b) != `{"Fn::Not":[{"Fn::Equals":[{"Ref":"CognitoUserPoolId"},""]}]}` {
				t.Errorf("HasCognitoUserPool = %s", b)
			}
			if p := tpl["Parameters"].(map[string]any)["CognitoUserPoolId"].(map[string]any); p["Default"] != "" {
				t.Errorf("CognitoUserPoolId default %v, want empty", p["Default"])
			}
			perm := res["CognitoTriggerPermission"].(map[string]any)["Properties"].(map[string]any)
			if perm["Principal"] != "cognito-idp.amazonaws.com" || perm["Action"] != "lambda:InvokeFunction" || perm["SourceArn"] == nil {
				t.Errorf("permission %v", perm)
			}
			// The same queues and send policies as the ingress.
			fn := func(id string) map[string]any {
				return res[id].(map[string]any)["Properties"].(map[string]any)
			}
			queues := func(id string) any {
				return fn(id)["Environment"].(map[string]any)["Variables"].(map[string]any)["QUEUE_URLS"]
			}
			if !reflect.DeepEqual(queues("CognitoTriggerFunction"), queues("IngressFunction")) {
				t.Errorf("QUEUE_URLS\n cognito %v\n ingress %v", queues("CognitoTriggerFunction"), queues("IngressFunction"))
			}
			sends := func(id string) (out []any) {
				for _, p := range fn(id)["Policies"].([]any) {
					if s, ok := p.(map[string]any)["SQSSendMessagePolicy"]; ok {
						out = append(out, s)
					}
				}
				return out
			}
			if !reflect.DeepEqual(sends("CognitoTriggerFunction"), sends("IngressFunction")) {
				t.Errorf("send policies\n cognito %v\n ingress %v", sends("CognitoTriggerFunction"), sends("IngressFunction"))
			}
		})
	}
}

// The trigger's Makefile target exists, so `sam build` can build it.
func TestCognitoTriggerBuilds(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(mk), "\n"), "build-CognitoTriggerFunction:") {
		t.Error("Makefile has no build-CognitoTriggerFunction target")
	}
}
