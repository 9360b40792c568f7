package lambdatest

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// The Cognito trigger binary with template.yaml's environment (the pool
// set, as the CognitoUserPoolId parameter would): Cognito gets its event
// back, and every target's queue the confirmed user's profile; an event
// of another pool is handed back too and queues nothing.
func TestCognitoTrigger(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	fn := startFunction(t, s, bins["cognito"], "CognitoTriggerFunction", func(env map[string]string) {
		env["COGNITO_USER_POOL_ID"] = sandbox.DevCognitoUserPoolID
	})
	queues := s.targetQueues(t)
	sample, err := os.ReadFile("../../events/cognito-post-confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b []byte) bool {
		var x, y any
		return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
	}

	other := []byte(strings.Replace(string(sample), sandbox.DevCognitoUserPoolID, "eu-central-1_Other", 1))
	if resp := fn.invoke(t, json.RawMessage(other)); !same(resp, other) {
		t.Fatalf("another pool's event: response %s, want the event", resp)
	}
	s.requireEmpty(t, queues)

	if resp := fn.invoke(t, json.RawMessage(sample)); !same(resp, sample) {
		t.Fatalf("response %s, want the event unchanged", resp)
	}
	for target, url := range queues {
		got, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("receive %s: %v", target, err)
		}
		if target == "claims" { // no claim rule wants this profile
			if len(got.Messages) != 0 {
				t.Errorf("claims queue holds %d messages, want none", len(got.Messages))
			}
			continue
		}
		if len(got.Messages) != 1 {
			t.Fatalf("%s queue holds %d messages, want 1", target, len(got.Messages))
		}
		env, err := profile.UnmarshalEnvelope([]byte(*got.Messages[0].Body))
		if err != nil {
			t.Fatal(err)
		}
		e := env.Event
		if e.Source != "cognito" || e.Type != profile.Created || e.Subject != "8d3f2a1b-6c5e-4d7f-9a0b-1c2d3e4f5a6b" ||
			e.Environment != "dev" || e.Profile == nil || e.Profile.Email != "jane.doe@example.com" {
			t.Errorf("%s: event %+v", target, e)
		}
		s.deleteMessage(t, url, got.Messages[0])
	}
	s.requireEmpty(t, queues)
}
