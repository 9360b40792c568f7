package lambdatest

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// jobsInvokeTimeout is the deadline a run gets when it is to finish: a
// run stops starting segments 90 s before its deadline (jobs.Exporter's
// Margin), so the 20 s of invoke would only ever ask for a continuation.
const jobsInvokeTimeout = 3 * time.Minute

// TestJobs runs the shipped newsletter job (mappings/jobs/newsletter.yaml)
// in the jobs function against the sandbox cidaas, as EventBridge
// Scheduler and the jobs queue invoke it: the schedule's invocation with
// too little time left stops at once and asks for a continuation on the
// jobs queue; that message, handed over as the SQS event source would,
// exports the newsletter audience into the export bucket, manifest last,
// and the run becomes the job's last complete one in the jobs table.
func TestJobs(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	env := s.functionEnv(t, "JobsFunction")
	fn := startFunctionEnv(t, s, bins["jobs"], "JobsFunction", env, nil)

	var continuation events.SQSMessage
	t.Run("the schedule near its deadline asks for a continuation", func(t *testing.T) {
		var sum map[string]any
		if err := json.Unmarshal(fn.invoke(t, json.RawMessage(`{"job":"newsletter"}`)), &sum); err != nil {
			t.Fatal(err)
		}
		if sum["job"] != "newsletter" || sum["continue"] != true || sum["done"] != false || sum["run"] == nil || sum["run"] == "" {
			t.Fatalf("summary %v, want newsletter to continue", sum)
		}
		out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: awssdk.String(env["JOBS_QUEUE_URL"]),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 1 || awssdk.ToString(out.Messages[0].Body) != `{"job":"newsletter"}` {
			t.Fatalf("jobs queue holds %d messages, want the newsletter continuation once", len(out.Messages))
		}
		continuation = s.sqsRecord(env["JOBS_QUEUE_URL"], out.Messages[0])
		if cur := s.jobItem(t, env["JOBS_TABLE"], "current"); cur == nil {
			t.Error("no current checkpoint for the run to continue")
		}
	})
	t.Run("the continuation exports into the export bucket", func(t *testing.T) {
		if continuation.MessageId == "" {
			t.Skip("no continuation")
		}
		raw := invokeWithin(t, fn, events.SQSEvent{Records: []events.SQSMessage{continuation}}, jobsInvokeTimeout)
		var resp events.SQSEventResponse
		if err := json.Unmarshal(raw, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("response %s (%v), want no batch item failures", raw, err)
		}
		last := s.jobItem(t, env["JOBS_TABLE"], "last")
		if last == nil {
			t.Fatal(`no "last" checkpoint item after the run`)
		}
		if cur := s.jobItem(t, env["JOBS_TABLE"], "current"); cur != nil {
			t.Error(`the "current" item is still there after the run finished`)
		}
		var cp struct {
			Run   string `json:"run"`
			Rows  int64  `json:"rows"`
			Done  bool   `json:"done"`
			Files []struct {
				Name string `json:"name"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(last["detail"].(*dbtypes.AttributeValueMemberS).Value), &cp); err != nil {
			t.Fatal(err)
		}
		if !cp.Done || cp.Rows != 1 || len(cp.Files) != 1 {
			t.Fatalf("last checkpoint %+v, want done with 1 row (Jane) in 1 file", cp)
		}
		bucket := env["EXPORT_BUCKET"]
		client := s3.NewFromConfig(s.aws, func(o *s3.Options) { o.UsePathStyle = true })
		list, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: awssdk.String("newsletter/")})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list.Contents {
			keys = append(keys, awssdk.ToString(o.Key))
		}
		part, manifest := "newsletter/"+cp.Files[0].Name, "newsletter/"+cp.Run+"/manifest.json"
		if len(keys) != 2 || !strings.Contains(strings.Join(keys, " "), part) || !strings.Contains(strings.Join(keys, " "), manifest) {
			t.Fatalf("bucket holds %v, want %s and %s", keys, part, manifest)
		}
		var m struct {
			Complete bool  `json:"complete"`
			Rows     int64 `json:"rows"`
		}
		if err := json.Unmarshal(getObject(t, client, bucket, manifest), &m); err != nil || !m.Complete || m.Rows != 1 {
			t.Errorf("manifest %+v (%v), want complete with 1 row", m, err)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(getObject(t, client, bucket, part))))
		if err != nil {
			t.Fatal(err)
		}
		csv, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,email,") || !strings.Contains(lines[1], "jane.doe@example.com") {
			t.Errorf("part file holds %q, want the header and Jane", csv)
		}
	})
	t.Run("logs carry no personal data", func(t *testing.T) {
		for _, pii := range []string{"jane.doe", "example.com", "Doe"} {
			if strings.Contains(fn.logs(), pii) {
				t.Errorf("jobs function logged %q", pii)
			}
		}
	})
}

// invokeWithin is function.invoke with the invocation's deadline d away.
func invokeWithin(t *testing.T, f *function, payload any, d time.Duration) []byte {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeoutCause(t.Context(), d, fmt.Errorf("%s gave no result within %v", f.name, d))
	defer cancel()
	resp, errPayload, err := f.api.Invoke(ctx, body)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	if errPayload != nil {
		t.Fatalf("invoke %s: function error %s", f.name, errPayload)
	}
	return resp
}

// jobItem reads the newsletter job's checkpoint item sk (current or
// last) as stored (keys as in pkg/awsadapter/jobs.go); nil if none.
func (s *stack) jobItem(t *testing.T, table, sk string) map[string]dbtypes.AttributeValue {
	t.Helper()
	out, err := s.dynamo.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &table, ConsistentRead: awssdk.Bool(true),
		Key: map[string]dbtypes.AttributeValue{
			"pk": &dbtypes.AttributeValueMemberS{Value: "job#newsletter"}, "sk": &dbtypes.AttributeValueMemberS{Value: sk},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Item) == 0 {
		return nil
	}
	return out.Item
}

func getObject(t *testing.T, client *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
