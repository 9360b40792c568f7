package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// deployed is a deployed stack's parts in moto, as template.yaml declares
// them, around the local stack's sandbox: a queue and DLQ per target, the
// state and sync-log tables, and the targets' and the log key's secrets.
type deployed struct {
	sqs       *sqs.Client
	queues    map[string][2]string // target: queue URL, DLQ URL
	state     string
	synclog   string
	secretARN map[string]string
}

func deployStack(t *testing.T, sandboxURL string, targets ...string) *deployed {
	t.Helper()
	srv := motoForCLI(t)
	ctx := t.Context()
	cfg := srv.AWSConfig(ctx)
	prefix := "erase-" + randomHex(4) + "-"
	d := &deployed{sqs: sqs.NewFromConfig(cfg), queues: map[string][2]string{}, state: prefix + "state", synclog: prefix + "synclog",
		secretARN: map[string]string{}}
	for _, name := range targets {
		var urls [2]string
		for i, n := range []string{name, name + "-dlq"} {
			q, err := d.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(prefix + n)})
			if err != nil {
				t.Fatal(err)
			}
			urls[i] = *q.QueueUrl
		}
		d.queues[name] = urls
	}
	db := dynamodb.NewFromConfig(cfg)
	for _, table := range []string{d.state, d.synclog} {
		if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: awssdk.String(table), BillingMode: dbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []dbtypes.AttributeDefinition{
				{AttributeName: awssdk.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
				{AttributeName: awssdk.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
			KeySchema: []dbtypes.KeySchemaElement{
				{AttributeName: awssdk.String("pk"), KeyType: dbtypes.KeyTypeHash},
				{AttributeName: awssdk.String("sk"), KeyType: dbtypes.KeyTypeRange}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	sm := secretsmanager.NewFromConfig(cfg)
	secrets := sandbox.DevSecrets(sandboxURL)
	secrets[wiring.SyncLogSecret] = json.RawMessage(`{"key":"erase-test-log-key-0123456789"}`)
	for _, name := range append(targets, wiring.SyncLogSecret) {
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: awssdk.String(prefix + name),
			SecretString: awssdk.String(string(secrets[name]))})
		if err != nil {
			t.Fatal(err)
		}
		d.secretARN[name] = *out.ARN
	}
	return d
}

// queueURLs is the ingress's QUEUE_URLS.
func (d *deployed) queueURLs() string {
	urls := map[string]string{}
	for name, q := range d.queues {
		urls[name] = q[0]
	}
	b, _ := json.Marshal(urls)
	return string(b)
}

// receive takes what target's queue holds, as the event source mapping
// does (waiting up to a second for a message).
func (d *deployed) receive(t *testing.T, target string) []sqstypes.Message {
	t.Helper()
	out, err := d.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: awssdk.String(d.queues[target][0]),
		MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1, // long polling, not a busy loop
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// deliver runs target's sync function as functions/sync builds it
// (lambdaenv.Sync, then wiring.Sync, with the environment template.yaml
// gives it) on msgs, against the sandbox.
func (d *deployed) deliver(t *testing.T, target string, msgs []sqstypes.Message) {
	t.Helper()
	t.Setenv("TARGET", target)
	t.Setenv("QUEUE_URL", d.queues[target][0])
	t.Setenv("DLQ_URL", d.queues[target][1])
	t.Setenv("STATE_TABLE", d.state)
	t.Setenv("SYNC_LOG_TABLE", d.synclog)
	t.Setenv("EVENT_BUS", "")
	t.Setenv("BODY_BUCKET", "")
	t.Setenv("SOURCES", "")
	arns, _ := json.Marshal(d.secretARN)
	t.Setenv("SECRET_ARNS", string(arns))
	t.Setenv(egress.EnvAllowLoopback, "true")
	t.Setenv(egress.EnvAllowHTTPHosts, "127.0.0.1")
	ports, err := lambdaenv.Sync(slog.New(slog.NewTextHandler(io.Discard, nil)), plugins.All)
	if err != nil {
		t.Fatal(err)
	}
	h, err := wiring.Sync(t.Context(), ports)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	for _, m := range msgs {
		attrs := map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			attrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: awssdk.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: awssdk.ToString(m.MessageId), ReceiptHandle: awssdk.ToString(m.ReceiptHandle),
			Body: awssdk.ToString(m.Body), Attributes: m.Attributes, MessageAttributes: attrs, EventSource: "aws:sqs", AWSRegion: moto.Region})
	}
	resp, err := h.Handle(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("sync %s: %+v, %v", target, resp, err)
	}
}

// Against a deployed stack (moto, with the local stack's sandbox behind
// the targets): erase opens a pending row per target in the sync-log
// table, then queues each target its delete on its SQS queue, marked
// erasure; the sync functions, built as on Lambda, delete the records and
// confirm the rows. --wait follows the deployed ledger until both settle.
func TestEraseOnADeployedStack(t *testing.T) {
	s, _ := startStack(t)
	d := deployStack(t, s.URL, "salesforce", "webhook")
	ctx := t.Context()

	// Jane's Contact, pushed as the ingress would queue her creation.
	now := time.Now().UTC().Add(-time.Minute)
	created := profile.Event{ID: "created-1", Source: "cidaas", Type: profile.Created, Subject: jane, OccurredAt: now, ReceivedAt: now,
		Profile: &profile.Profile{Sub: jane, GivenName: "Jane", FamilyName: "Doe", Email: "jane@example.com"}}
	body, err := profile.NewEnvelope("salesforce", created).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := awsadapter.NewQueues(awsadapter.SQSOf(d.sqs), map[string]string{"salesforce": d.queues["salesforce"][0]}).
		SendBatch(ctx, "salesforce", []ingress.Message{{ID: "m0", Body: body}}); err != nil {
		t.Fatal(err)
	}
	d.deliver(t, "salesforce", d.receive(t, "salesforce"))
	if recs := s.Sandbox.Salesforce.Records("Contact"); len(recs) != 1 {
		t.Fatalf("Salesforce holds %d Contacts before the erasure, want Jane's", len(recs))
	}

	if r := runCLI(t, "erase", jane, "--queue-urls", d.queueURLs()); r.code != 2 || !strings.Contains(r.stderr, "--queue-urls needs --table") {
		t.Errorf("--queue-urls without --table: exit %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, "erase", jane, "--table", d.synclog, "--queue-urls", `{"salesforce":"x"}`); r.code != 1 ||
		!strings.Contains(r.stderr, `no queue for target "webhook"`) {
		t.Errorf("a target without its queue: exit %d %s", r.code, r.stderr)
	}
	out := mustRun(t, "erase", jane, "--table", d.synclog, "--queue-urls", d.queueURLs())
	m := regexp.MustCompile(`^erasure (erase-[0-9a-f]{16}) of ` + jane + ` queued for salesforce, webhook\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("erase:\n%s", out)
	}
	id := m[1]
	ledger := awsadapter.NewSyncLog(awsadapter.DynamoDBOf(dynamodb.NewFromConfig(moto.Start(t).AWSConfig(ctx))), d.synclog, 0)
	statuses := func() map[string]delivery.ErasureStatus {
		es, err := ledger.Erasures(ctx, jane, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]delivery.ErasureStatus{}
		for _, e := range es {
			if e.EventID == id {
				got[e.Target] = e.Status
			}
		}
		return got
	}
	if got := statuses(); len(got) != 2 || got["salesforce"] != delivery.ErasurePending || got["webhook"] != delivery.ErasurePending {
		t.Fatalf("ledger before delivery: %v, want both pending", got)
	}
	for _, target := range []string{"salesforce", "webhook"} {
		msgs := d.receive(t, target)
		if len(msgs) != 1 {
			t.Fatalf("%s queue holds %d messages, want the delete", target, len(msgs))
		}
		env, err := profile.UnmarshalEnvelope([]byte(*msgs[0].Body))
		if err != nil {
			t.Fatal(err)
		}
		if e := env.Event; env.Target != target || e.ID != id || e.Type != profile.Deleted || e.Subject != jane ||
			e.SourceType != delivery.SourceTypeErasure || e.Profile != nil {
			t.Errorf("%s envelope %+v", target, env)
		}
		if a := msgs[0].MessageAttributes["event_id"]; a.StringValue == nil || *a.StringValue != id {
			t.Errorf("%s attributes %v", target, msgs[0].MessageAttributes)
		}
		d.deliver(t, target, msgs)
	}
	if got := statuses(); got["salesforce"] != delivery.ErasureConfirmed || got["webhook"] != delivery.ErasureConfirmed {
		t.Errorf("ledger after delivery: %v, want both confirmed", got)
	}
	if recs := s.Sandbox.Salesforce.Records("Contact"); len(recs) != 0 {
		t.Errorf("Salesforce still holds %d Contacts", len(recs))
	}
	if out := mustRun(t, "log", jane, "--table", d.synclog); !regexp.MustCompile(`(?m)^  \S+Z  salesforce +confirmed \S+Z  \(event ` + id + `\)$`).MatchString(out) {
		t.Errorf("log --table:\n%s", out)
	}

	// --wait follows the deployed ledger while the sync functions deliver.
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, "erase", jane, "--table", d.synclog, "--queue-urls", d.queueURLs(), "--wait", "--timeout", "30s")
	}()
	pending := map[string]bool{"salesforce": true, "webhook": true}
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for target := range pending {
			if msgs := d.receive(t, target); len(msgs) > 0 {
				d.deliver(t, target, msgs)
				delete(pending, target)
			}
		}
	}
	r := <-done
	if r.code != 0 || !regexp.MustCompile(`(?m)^  salesforce +(confirmed|skipped) `).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^  webhook +(confirmed|skipped) `).MatchString(r.stdout) {
		t.Errorf("erase --wait: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
