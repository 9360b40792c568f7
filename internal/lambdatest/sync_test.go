package lambdatest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// TestSync feeds the salesforce sync function the message ingress put on
// its queue, as the SQS event source mapping would.
func TestSync(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	ingress := startFunction(t, s, bins["ingress"], "IngressFunction", nil)
	msg := enqueueCreated(t, s, ingress, newRequestID())["salesforce"]
	syncFn := startFunction(t, s, bins["sync"], "SalesforceSyncFunction", nil)
	queueURL := s.functionEnv(t, "SalesforceSyncFunction")["QUEUE_URL"]
	record := s.sqsRecord(queueURL, msg)

	t.Run("delivers a Contact", func(t *testing.T) {
		resp := invokeSync(t, syncFn, record)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batchItemFailures %+v, want none", resp.BatchItemFailures)
		}
		contacts := s.sandbox.Salesforce.Records("Contact")
		if len(contacts) != 1 {
			t.Fatalf("salesforce holds %d contacts, want 1: %v", len(contacts), contacts)
		}
		c := contacts[0]
		if c["LastName"] != "Doe" || c["ProfileSync_Id__c"] != demoSubject {
			t.Errorf("contact LastName=%v ProfileSync_Id__c=%v, want Doe and %s", c["LastName"], c["ProfileSync_Id__c"], demoSubject)
		}
		st := s.stateItem(t, "salesforce", demoSubject)
		if got, ok := st["record_id"].(*dbtypes.AttributeValueMemberS); !ok || got.Value != c["Id"] {
			t.Errorf("state record_id = %v, want the contact's Id %v", st["record_id"], c["Id"])
		}
	})
	t.Run("the sync log tells it, with no raw value", func(t *testing.T) {
		out, err := s.dynamo.Query(t.Context(), &dynamodb.QueryInput{
			TableName:                 awssdk.String(s.refs["SyncLogTable"]),
			KeyConditionExpression:    awssdk.String("pk = :pk"),
			ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":pk": &dbtypes.AttributeValueMemberS{Value: demoSubject}},
		})
		if err != nil || len(out.Items) != 1 {
			t.Fatalf("sync log items %v, %v; want one", out, err)
		}
		entry := out.Items[0]["entry"].(*dbtypes.AttributeValueMemberS).Value
		if !strings.Contains(entry, `"outcome":"delivered"`) || !strings.Contains(entry, `"created":true`) ||
			!strings.Contains(entry, `{"field":"Email","new":"j***@e***.com"}`) {
			t.Errorf("entry %s", entry)
		}
		for _, pii := range []string{"jane.doe@example.com", "+4915112345678", "Hauptstr"} {
			if strings.Contains(entry, pii) {
				t.Errorf("sync log entry holds %q: %s", pii, entry)
			}
		}
		if l := syncFn.logs(); strings.Contains(l, "sync log not written") || strings.Contains(l, "without field diff") {
			t.Errorf("the sync log or its key failed:\n%s", l)
		}
	})
	t.Run("garbage body goes to the DLQ with its reason", func(t *testing.T) {
		garbage := record
		garbage.MessageId, garbage.Body = newRequestID(), "this is not an envelope"
		resp := invokeSync(t, syncFn, record, garbage) // record again: a redelivery, unchanged
		// A permanent failure is dead-lettered at once and reported handled,
		// so the source queue deletes it; nothing is left to retry.
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batchItemFailures %v, want none", resp.BatchItemFailures)
		}
		out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(s.refs["SalesforceDeadLetterQueue"]), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 1 || awssdk.ToString(out.Messages[0].Body) != garbage.Body {
			t.Fatalf("DLQ holds %d messages, want the garbage body once", len(out.Messages))
		}
		if c := out.Messages[0].MessageAttributes[delivery.AttrClass]; c.StringValue == nil || *c.StringValue != "permanent" {
			t.Errorf("DLQ message %s = %v, want permanent", delivery.AttrClass, c.StringValue)
		}
		if n := len(s.sandbox.Salesforce.Records("Contact")); n != 1 {
			t.Errorf("salesforce holds %d contacts after the redelivery, want 1", n)
		}
	})
	t.Run("logs carry no personal data", func(t *testing.T) {
		for _, fn := range []*function{ingress, syncFn} {
			if strings.Contains(fn.logs(), "notify failed") {
				t.Errorf("%s could not publish its notices to the event bus", fn.name)
			}
			for _, pii := range []string{"jane.doe@example.com", "+4915112345678", "Hauptstr", `"` + demoSubject + `"`} {
				if strings.Contains(fn.logs(), pii) {
					t.Errorf("%s logged %q", fn.name, pii)
				}
			}
		}
	})
	t.Run("metrics go to stdout as EMF lines", func(t *testing.T) {
		for fn, dim := range map[*function]string{ingress: `"Source":"`, syncFn: `"Target":"salesforce"`} {
			if !strings.Contains(fn.logs(), `{"Namespace":"ProfileSync","Dimensions":`) || !strings.Contains(fn.logs(), dim) {
				t.Errorf("%s wrote no ProfileSync metric line with %s:\n%s", fn.name, dim, fn.logs())
			}
		}
	})
}

// TestSyncInitError: a sync function without TARGET must fail its init, so
// Lambda reports an init error instead of taking invocations.
func TestSyncInitError(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	fn := startFunction(t, s, bins["sync"], "SalesforceSyncFunction", func(env map[string]string) { delete(env, "TARGET") })
	if code := fn.waitExit(t); code == 0 {
		t.Fatalf("exit status 0, want non-zero; output:\n%s", fn.logs())
	}
	if !strings.Contains(fn.logs(), "init failed") || !strings.Contains(fn.logs(), "TARGET") {
		t.Errorf("output does not report the init failure and TARGET:\n%s", fn.logs())
	}
}

func invokeSync(t *testing.T, fn *function, records ...events.SQSMessage) events.SQSEventResponse {
	t.Helper()
	raw := fn.invoke(t, events.SQSEvent{Records: records})
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("sync response %s: %v", raw, err)
	}
	return resp
}

// sqsRecord is m as the SQS event source mapping delivers it to Lambda.
func (s *stack) sqsRecord(queueURL string, m sqstypes.Message) events.SQSMessage {
	attrs := map[string]events.SQSMessageAttribute{}
	for k, v := range m.MessageAttributes {
		attrs[k] = events.SQSMessageAttribute{
			StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: awssdk.ToString(v.DataType),
		}
	}
	return events.SQSMessage{
		MessageId:              awssdk.ToString(m.MessageId),
		ReceiptHandle:          awssdk.ToString(m.ReceiptHandle),
		Body:                   awssdk.ToString(m.Body),
		Md5OfBody:              awssdk.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: awssdk.ToString(m.MD5OfMessageAttributes),
		Attributes:             m.Attributes,
		MessageAttributes:      attrs,
		EventSourceARN:         s.queueARNs[queueURL],
		EventSource:            "aws:sqs",
		AWSRegion:              moto.Region,
	}
}

// stateItem reads target's state of subject from the state table as stored
// (keys as in pkg/awsadapter/state.go).
func (s *stack) stateItem(t *testing.T, target, subject string) map[string]dbtypes.AttributeValue {
	t.Helper()
	out, err := s.dynamo.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: awssdk.String(s.refs["StateTable"]),
		Key: map[string]dbtypes.AttributeValue{
			"pk": &dbtypes.AttributeValueMemberS{Value: "target#" + target},
			"sk": &dbtypes.AttributeValueMemberS{Value: "subject#" + subject},
		},
		ConsistentRead: awssdk.Bool(true),
	})
	if err != nil {
		t.Fatalf("get state: %v", err)
	}
	if len(out.Item) == 0 {
		t.Fatalf("state table has no item for %s/%s", target, subject)
	}
	return out.Item
}
