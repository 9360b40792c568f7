package lambdatest

import (
	"net/http"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// The shipped binaries with the template's environment: a CIAM's delete
// is recorded pending in the SyncLogTable's ledger for every target by
// the ingress, before any sync function runs; the Salesforce sync
// function then deletes the Contact and confirms its row, the webhook's
// staying pending until its own function runs.
func TestWebhookDeleteOpensTheLedger(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	ingress := startFunction(t, s, bins["ingress"], "IngressFunction", nil)
	queues := s.targetQueues(t)
	syncFn := startFunction(t, s, bins["sync"], "SalesforceSyncFunction", nil)
	ledger := awsadapter.NewSyncLog(awsadapter.DynamoDBOf(s.dynamo), s.refs["SyncLogTable"], 0)
	statuses := func(eventID string) map[string]delivery.ErasureStatus {
		t.Helper()
		es, err := ledger.Erasures(t.Context(), demoSubject, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]delivery.ErasureStatus{}
		for _, e := range es {
			if e.EventID == eventID {
				got[e.Target] = e.Status
			}
		}
		return got
	}

	created := enqueueCreated(t, s, ingress, newRequestID())
	if got := statuses(""); len(got) != 0 {
		t.Fatalf("a create opened erasures: %v", got)
	}
	if resp := invokeSync(t, syncFn, s.sqsRecord(queues["salesforce"], created["salesforce"])); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("create: %+v", resp)
	}
	for target, m := range created {
		s.deleteMessage(t, queues[target], m)
	}
	if n := len(s.sandbox.Salesforce.Records("Contact")); n != 1 {
		t.Fatalf("salesforce holds %d contacts, want Jane's", n)
	}

	deleteID := newRequestID()
	body := strings.Replace(cidaasBody(deleteID), createdType, "ACCOUNT_DELETED", 1)
	resp := postWebhook(t, ingress, "cidaas", sandbox.DevCidaasAPIKey, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: status %d %s", resp.StatusCode, resp.Body)
	}
	got := statuses(deleteID)
	if len(got) != 2 || got["salesforce"] != delivery.ErasurePending || got["webhook"] != delivery.ErasurePending {
		t.Fatalf("ledger after the ingress: %v, want salesforce and webhook pending (no row for the claim verifier's queue)", got)
	}
	out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: awssdk.String(queues["salesforce"]),
		MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("salesforce queue: %v, %d messages; want the delete", err, len(out.Messages))
	}
	if env, err := profile.UnmarshalEnvelope([]byte(*out.Messages[0].Body)); err != nil || env.Event.ID != deleteID || env.Event.Type != profile.Deleted {
		t.Fatalf("salesforce message %+v, %v", env, err)
	}
	if resp := invokeSync(t, syncFn, s.sqsRecord(queues["salesforce"], out.Messages[0])); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("delete: %+v", resp)
	}
	if got := statuses(deleteID); got["salesforce"] != delivery.ErasureConfirmed || got["webhook"] != delivery.ErasurePending {
		t.Errorf("ledger after salesforce's delivery: %v, want salesforce confirmed, webhook pending", got)
	}
	if n := len(s.sandbox.Salesforce.Records("Contact")); n != 0 {
		t.Errorf("salesforce still holds %d contacts", n)
	}
	if l := ingress.logs(); strings.Contains(l, "erasure ledger write failed") || strings.Contains(l, demoSubject+`"`) {
		t.Errorf("ingress logs:\n%s", l)
	}
}
