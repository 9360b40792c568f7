package lambdatest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// erikaSub is the Clerk user of oversizedClerkBody.
const erikaSub = "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5"

// oversizedClerkBody is a genuine Clerk user.updated whose body fits the
// ingress limit but whose envelope does not fit an SQS message
// (json.Marshal writes each '<' as \u003c, six bytes).
func oversizedClerkBody() string {
	return `{"data":{"id":"` + erikaSub + `","object":"user","first_name":"Erika","last_name":"Musterfrau",` +
		`"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"erika@example.com","verification":{"status":"verified"}}],` +
		`"phone_numbers":[],"public_metadata":{"bio":"` + strings.Repeat("<", 50_000) + `"},"unsafe_metadata":{},` +
		fmt.Sprintf(`"created_at":1735725600000,"updated_at":%d},"object":"event","timestamp":%d,"type":"user.updated"}`,
			time.Now().UnixMilli(), time.Now().UnixMilli())
}

// clerkHeaders signs body as Clerk (Standard Webhooks) does with the
// sandbox's development secret.
func clerkHeaders(id, body string) map[string]string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sandbox.DevClerkSecret, "whsec_"))
	ts := fmt.Sprint(time.Now().Unix())
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return map[string]string{"webhook-id": id, "webhook-timestamp": ts,
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))}
}

// TestOversizedEventThroughS3: the Clerk source has no profile API, so the
// ingress binary stores an envelope over SQS's limit in the template's body
// bucket and queues a pointer; the salesforce sync binary reads it back and
// delivers the contact.
func TestOversizedEventThroughS3(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	ingress := startFunction(t, s, bins["ingress"], "IngressFunction", nil)
	queues := s.targetQueues(t)

	body := oversizedClerkBody()
	resp := postWebhookWith(t, ingress, "clerk", clerkHeaders("msg_big_"+randomHex(4), body), body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s\n%s", resp.StatusCode, resp.Body, ingress.logs())
	}
	bucket := s.refs["BodyBucket"]
	for target, url := range queues {
		out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		if target == claims.QueueName {
			// The profile is in the event and declares no claim: the
			// verifier is not asked.
			if err != nil || len(out.Messages) != 0 {
				t.Fatalf("claims queue: %d messages, %v; want none", len(out.Messages), err)
			}
			continue
		}
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("%s queue: %d messages, %v; want the one pointer", target, len(out.Messages), err)
		}
		m := out.Messages[0]
		ptr, err := profile.UnmarshalEnvelope([]byte(*m.Body))
		if err != nil || ptr.Stored == "" || !strings.HasPrefix(ptr.Stored, target+"/") || ptr.Event.Subject != erikaSub {
			t.Fatalf("%s: message of %d bytes is not a pointer under %s/: %+v, %v", target, len(*m.Body), target, ptr, err)
		}
		obj, err := s3.NewFromConfig(s.aws).GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &ptr.Stored})
		if err != nil {
			t.Fatalf("%s: stored object %s: %v", target, ptr.Stored, err)
		}
		obj.Body.Close()
		if size := awssdk.ToInt64(obj.ContentLength); size <= profile.MaxMessage {
			t.Errorf("%s: stored body of %d bytes: it would have fit a message", target, size)
		}
		if target != "salesforce" {
			s.deleteMessage(t, url, m)
			continue
		}
		syncFn := startFunction(t, s, bins["sync"], "SalesforceSyncFunction", nil)
		sresp := invokeSync(t, syncFn, s.sqsRecord(url, m))
		if len(sresp.BatchItemFailures) != 0 {
			t.Fatalf("batchItemFailures %+v, want none\n%s", sresp.BatchItemFailures, syncFn.logs())
		}
		var found bool
		for _, c := range s.sandbox.Salesforce.Records("Contact") {
			if c["ProfileSync_Id__c"] == erikaSub {
				found = true
				if c["FirstName"] != "Erika" || c["Email"] != "erika@example.com" {
					t.Errorf("Erika's contact = %v", c)
				}
			}
		}
		if !found {
			t.Error("salesforce holds no contact for Erika")
		}
		s.deleteMessage(t, url, m)
	}
	s.requireEmpty(t, queues)
}
