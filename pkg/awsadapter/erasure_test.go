package awsadapter_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
)

// countingPuts counts PutItem calls and fails those for one target, as a
// throttled or unreachable table would (moto cannot be made to fail).
type countingPuts struct {
	paws.DynamoDBMethods
	n      atomic.Int32
	failOn string
}

func (c *countingPuts) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.n.Add(1)
	if c.failOn != "" && strings.Contains(fmt.Sprint(in.Item["target"]), c.failOn) {
		return nil, errors.New("ProvisionedThroughputExceededException")
	}
	return c.DynamoDBMethods.PutItem(ctx, in, opts...)
}

// Open writes one conditional put per row, every row pending, whatever
// was asked of it; opening again changes nothing; a row the table refuses
// is an error naming its target and event, not the subject.
func TestOpenErasuresOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	ctx := ctxFor(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	puts := &countingPuts{DynamoDBMethods: paws.DynamoDBOf(client)}
	l := paws.NewSyncLog(puts, table, 0)
	var es []delivery.Erasure
	for i := range 20 {
		es = append(es, delivery.Erasure{Subject: "u-9", Target: fmt.Sprintf("t%02d", i), EventID: "del-1", RequestedAt: now,
			Status: delivery.ErasureConfirmed, Reason: "not the opener's to say"})
	}
	if err := l.Open(ctx, es); err != nil {
		t.Fatal(err)
	}
	if err := l.Open(ctx, es); err != nil {
		t.Fatalf("opened again: %v", err)
	}
	got, err := l.Erasures(ctx, "u-9", "")
	if err != nil || len(got) != 20 {
		t.Fatalf("Erasures = %d rows, %v", len(got), err)
	}
	for _, e := range got {
		if e.Status != delivery.ErasurePending || e.Reason != "" || !e.RequestedAt.Equal(now) || e.EventID != "del-1" {
			t.Errorf("row %+v", e)
		}
	}
	if n := puts.n.Load(); n != 40 {
		t.Errorf("%d PutItem calls, want 40 (one per row and Open)", n)
	}

	puts.failOn = "t07"
	err = l.Open(ctx, []delivery.Erasure{{Subject: "u-10", Target: "t06", EventID: "del-2", RequestedAt: now},
		{Subject: "u-10", Target: "t07", EventID: "del-2", RequestedAt: now}})
	if err == nil || !strings.Contains(err.Error(), "erasure ledger t07/del-2") || strings.Contains(err.Error(), "u-10") {
		t.Errorf("a refused row: %v", err)
	}
}

// As in the local ledger: a confirmed erasure is final (a resent delete's
// skip, failure or later confirmation leaves the first confirmation), a
// settled one is not reopened by a late retry, and a failed one is still
// confirmed by a redrive.
func TestConfirmedErasureIsFinalOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	ctx := ctxFor(t)
	asked := time.Now().UTC().Truncate(time.Millisecond)
	l := paws.NewSyncLog(paws.DynamoDBOf(client), table, 0)
	open := []delivery.Erasure{{Subject: "u-3", Target: "crm", EventID: "del-1", RequestedAt: asked},
		{Subject: "u-3", Target: "ldap", EventID: "del-1", RequestedAt: asked}}
	if err := l.Open(ctx, open); err != nil {
		t.Fatal(err)
	}
	del := func(target string, out delivery.Outcome, reason string, at time.Duration) delivery.Entry {
		return delivery.Entry{Target: target, Subject: "u-3", EventID: "del-1", EventType: "deleted", MessageID: fmt.Sprint("m", at),
			Outcome: out, Reason: reason, Attempts: 1, EventAt: asked, At: asked.Add(at)}
	}
	steps := [][]delivery.Entry{
		{del("crm", delivery.Retrying, "transient 503", time.Second), del("ldap", delivery.Abandon, "permanent 400", time.Second)},
		{del("crm", delivery.Deleted, "", 2*time.Second), del("ldap", delivery.Retrying, "transient 503", 2*time.Second)},
		{del("crm", delivery.Ignored, "", 3*time.Second), del("ldap", delivery.Deleted, "", 3*time.Second)},
		{del("crm", delivery.Abandon, "permanent 400", 4*time.Second), del("crm", delivery.Retrying, "transient 503", 5*time.Second)},
	}
	for i, batch := range steps {
		if err := l.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := l.Open(ctx, open); err != nil { // the CIAM's resend
				t.Fatal(err)
			}
		}
	}
	got, err := l.Erasures(ctx, "u-3", "")
	if err != nil || len(got) != 2 {
		t.Fatalf("Erasures = %+v, %v", got, err)
	}
	for _, e := range got {
		want := asked.Add(2 * time.Second)
		if e.Target == "ldap" {
			want = asked.Add(3 * time.Second) // failed, a retry left it failed, then redriven and confirmed
		}
		if e.Status != delivery.ErasureConfirmed || !e.SettledAt.Equal(want) || e.Outcome != delivery.Deleted {
			t.Errorf("%s: %+v, want confirmed at %v", e.Target, e, want)
		}
	}
}

// The ingress's ledger opens over the signed PutItem: pending once, the
// resend changing nothing, a settled row left alone.
func TestIngressLedgerOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	ctx := ctxFor(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ledger, err := paws.NewIngressLedger(moto.Start(t).AWSConfig(ctx), table)
	if err != nil {
		t.Fatal(err)
	}
	open := []delivery.Erasure{{Subject: "u-4", Target: "crm", EventID: "del-9", RequestedAt: now},
		{Subject: "u-4", Target: "ldap", EventID: "del-9", RequestedAt: now}}
	if err := ledger.Open(ctx, open); err != nil {
		t.Fatal(err)
	}
	l := paws.NewSyncLog(paws.DynamoDBOf(client), table, 0)
	if err := l.Record(ctx, []delivery.Entry{{Target: "crm", Subject: "u-4", EventID: "del-9", EventType: "deleted", MessageID: "m1",
		Outcome: delivery.Deleted, EventAt: now, At: now.Add(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if err := ledger.Open(ctx, open); err != nil {
		t.Fatalf("the resend: %v", err)
	}
	got, err := l.Erasures(ctx, "u-4", "")
	if err != nil || len(got) != 2 {
		t.Fatalf("Erasures = %+v, %v", got, err)
	}
	for _, e := range got {
		want := map[string]delivery.ErasureStatus{"crm": delivery.ErasureConfirmed, "ldap": delivery.ErasurePending}[e.Target]
		if e.Status != want || !e.RequestedAt.Equal(now) || e.EventID != "del-9" {
			t.Errorf("%s: %+v, want %s", e.Target, e, want)
		}
	}
}

// The signed PutItem on the wire: a failed condition is the SDK's
// exception type, a throttled answer is retried, a refused request is
// not.
func TestSignedPutItem(t *testing.T) {
	var calls atomic.Int32
	answers := []struct {
		status int
		body   string
	}{
		{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`},
		{200, `{}`},
		{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`},
		{400, `{"__type":"com.amazon.coral.validate#ValidationException","message":"bad expression"}`},
	}
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.PutItem" || !strings.Contains(r.Header.Get("Authorization"), "/dynamodb/aws4_request") {
			http.Error(w, "unsigned", 403)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(answers[n].status)
		_, _ = io.WriteString(w, answers[n].body)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "")
	cfg := awssdk.Config{Region: "eu-central-1", BaseEndpoint: awssdk.String(srv.URL), HTTPClient: egress.Client(egress.Local, 5*time.Second),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")}
	put, err := paws.NewSignedPutItem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := &dynamodb.PutItemInput{TableName: awssdk.String("t"), ConditionExpression: awssdk.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": "pk"},
		Item:                     map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "u-1"}, "n": &types.AttributeValueMemberN{Value: "7"}}}
	if _, err := put.PutItem(ctxFor(t), in); err != nil || calls.Load() != 2 {
		t.Fatalf("throttled then stored: %v after %d calls", err, calls.Load())
	}
	want := `{"TableName":"t","Item":{"n":{"N":"7"},"pk":{"S":"u-1"}},"ConditionExpression":"attribute_not_exists(#pk)","ExpressionAttributeNames":{"#pk":"pk"}}`
	mu.Lock()
	if bodies[1] != want {
		t.Errorf("body %s, want %s", bodies[1], want)
	}
	mu.Unlock()
	var ccf *types.ConditionalCheckFailedException
	if _, err := put.PutItem(ctxFor(t), in); !errors.As(err, &ccf) {
		t.Errorf("failed condition: %v", err)
	}
	if _, err := put.PutItem(ctxFor(t), in); err == nil || !strings.Contains(err.Error(), "ValidationException: bad expression") || calls.Load() != 4 {
		t.Errorf("refused: %v after %d calls, want no retry", err, calls.Load())
	}
}
