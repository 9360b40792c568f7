package awsadapter_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// newSyncLogTable creates a table with the key schema of template.yaml's
// SyncLogTable in moto, named per test.
func newSyncLogTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	srv := moto.Start(t)
	client := dynamodb.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	table := "synclog-" + strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	_, err := client.CreateTable(ctxFor(t), &dynamodb.CreateTableInput{
		TableName:   awssdk.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("hour"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: awssdk.String(paws.SyncLogIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: awssdk.String("hour"), KeyType: types.KeyTypeHash},
				{AttributeName: awssdk.String("sk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"entry"}},
		}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	return client, table
}

// halfUnprocessed passes the first half of its first two BatchWriteItem
// calls to DynamoDB and hands the rest back unprocessed, as a throttled
// table does: a failure moto cannot be made to produce.
type halfUnprocessed struct {
	paws.DynamoDBMethods
	mu    sync.Mutex
	calls []int
}

func (h *halfUnprocessed) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for table, reqs := range in.RequestItems {
		h.mu.Lock()
		h.calls = append(h.calls, len(reqs))
		h.mu.Unlock()
		if len(h.calls) > 2 {
			return h.DynamoDBMethods.BatchWriteItem(ctx, in, opts...)
		}
		half := len(reqs) / 2
		if _, err := h.DynamoDBMethods.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: reqs[:half]}}, opts...); err != nil {
			return nil, err
		}
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{table: reqs[half:]}}, nil
	}
	return &dynamodb.BatchWriteItemOutput{}, nil
}

func TestSyncLogOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	now := time.Now().UTC().Truncate(time.Second)
	api := &halfUnprocessed{DynamoDBMethods: paws.DynamoDBOf(client)}
	l := paws.NewSyncLog(api, table, 0, paws.WithSyncLogClock(func() time.Time { return now }))
	ctx := ctxFor(t)
	var es []delivery.Entry
	for i := range 30 { // two chunks: 25 and 5
		target := "crm"
		if i%3 == 0 {
			target = "mailer"
		}
		es = append(es, delivery.Entry{Target: target, Subject: "u-1", EventID: fmt.Sprintf("e%02d", i), EventType: "updated",
			Outcome: delivery.Delivered, At: now.Add(time.Duration(i) * time.Millisecond), EventAt: now.Add(-time.Minute),
			Changes: []delivery.Change{{Field: "Email", Old: "h:3fa29c0e1b2d", New: "j***@e***.com"}}})
	}
	es = append(es, delivery.Entry{Target: "crm", Subject: "u-2", EventID: "other", Outcome: delivery.Unchanged, At: now},
		delivery.Entry{Target: "crm", MessageID: "m-bad", Outcome: delivery.Abandon, Reason: "undecodable", At: now})
	if err := l.Record(ctx, es); err != nil {
		t.Fatal(err)
	}
	// 25, its unprocessed 13, then their unprocessed 7; then the second
	// chunk's 7: every item went in the end.
	if want := []int{25, 13, 7, 7}; !reflect.DeepEqual(api.calls, want) {
		t.Errorf("BatchWriteItem calls %v", api.calls)
	}
	all, err := l.List(ctx, "u-1", "", 0)
	if err != nil || len(all) != 30 {
		t.Fatalf("List = %d entries, %v; want 30", len(all), err)
	}
	for i, e := range all {
		if e.EventID != es[i].EventID || !e.At.Equal(es[i].At) || !reflect.DeepEqual(e.Changes, es[i].Changes) {
			t.Fatalf("entry %d = %+v, want %+v (oldest first)", i, e, es[i])
		}
	}
	crm, err := l.List(ctx, "u-1", "crm", 3)
	if err != nil || len(crm) != 3 || crm[0].EventID != "e26" || crm[2].EventID != "e29" {
		t.Errorf("List(crm, 3) = %+v, %v; want e26, e28, e29", crm, err)
	}
	if got, _ := l.List(ctx, "-", "", 0); len(got) != 1 || got[0].MessageID != "m-bad" {
		t.Errorf("undecodable message's entry: %+v", got)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{TableName: awssdk.String(table),
		KeyConditionExpression:    awssdk.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "u-2"}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("raw query: %v %v", out, err)
	}
	exp := out.Items[0]["expires_at"].(*types.AttributeValueMemberN).Value
	if want := strconv.FormatInt(now.Add(30*24*time.Hour).Unix(), 10); exp != want {
		t.Errorf("expires_at %s, want %s (30 days)", exp, want)
	}
	// Past the retention an entry is not listed, though the TTL has not
	// deleted it yet.
	later := paws.NewSyncLog(client, table, 0, paws.WithSyncLogClock(func() time.Time { return now.Add(31 * 24 * time.Hour) }))
	if got, err := later.List(ctx, "u-2", "", 0); err != nil || len(got) != 0 {
		t.Errorf("expired entries listed: %+v, %v", got, err)
	}
}

// The state item keeps the field prints and reads them back.
func TestStateFieldsOnMoto(t *testing.T) {
	f := newStateFixture(t)
	st := delivery.State{LastEventAt: f.now, LastEventID: "e1", Hash: "h",
		Fields: map[string]string{"Email": "3fa29c0e1b2dmj***@e***.com", "Address.City": "91bc00aa11ff"}}
	f.put(t, "crm", "u-1", st)
	got, found, err := f.store.Get(ctxFor(t), "crm", "u-1")
	if err != nil || !found || !reflect.DeepEqual(got.Fields, st.Fields) {
		t.Errorf("Get = %+v, %v, %v", got, found, err)
	}
	f.put(t, "crm", "u-2", delivery.State{LastEventAt: f.now})
	if got := f.get(t, "crm", "u-2"); got.Fields != nil {
		t.Errorf("no prints read back as %v", got.Fields)
	}
}

// neverProcessed hands every item back, as a table throttled throughout.
type neverProcessed struct{ paws.DynamoDBMethods }

func (neverProcessed) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return &dynamodb.BatchWriteItemOutput{UnprocessedItems: in.RequestItems}, nil
}

// Items still unprocessed after the retries are an error (which the
// handler logs; the deliveries stand).
func TestSyncLogGivesUpOnUnprocessed(t *testing.T) {
	l := paws.NewSyncLog(neverProcessed{}, "t", 0)
	err := l.Record(ctxFor(t), []delivery.Entry{{Target: "crm", Subject: "u-1", EventID: "e1", At: time.Now()}})
	if err == nil || !strings.Contains(err.Error(), "1 entries left unprocessed") {
		t.Errorf("Record = %v", err)
	}
}

// The ledger beside the entries: not listed as entries, kept without
// expiry, settled by the delete's entries.
func TestErasureLedgerOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	now := time.Now().UTC().Truncate(time.Second)
	l := paws.NewSyncLog(paws.DynamoDBOf(client), table, 0, paws.WithSyncLogClock(func() time.Time { return now }))
	ctx := ctxFor(t)
	if err := l.Open(ctx, []delivery.Erasure{{Subject: "u-1", Target: "crm", EventID: "erase-1", RequestedAt: now},
		{Subject: "u-1", Target: "mailer", EventID: "erase-1", RequestedAt: now}}); err != nil {
		t.Fatal(err)
	}
	err := l.Record(ctx, []delivery.Entry{
		{Target: "crm", Subject: "u-1", EventID: "erase-1", EventType: "deleted", MessageID: "m1", Outcome: delivery.Deleted, EventAt: now, At: now.Add(time.Second)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Open(ctx, []delivery.Erasure{{Subject: "u-1", Target: "crm", EventID: "erase-1", RequestedAt: now}}); err != nil {
		t.Fatal(err) // asked again: the confirmed one stays
	}
	got, err := l.Erasures(ctx, "u-1", "")
	if err != nil || len(got) != 2 {
		t.Fatalf("Erasures = %+v, %v", got, err)
	}
	by := map[string]delivery.Erasure{got[0].Target: got[0], got[1].Target: got[1]}
	if by["crm"].Status != delivery.ErasureConfirmed || by["mailer"].Status != delivery.ErasurePending {
		t.Errorf("ledger %+v", got)
	}
	if es, err := l.List(ctx, "u-1", "", 0); err != nil || len(es) != 1 || es[0].EventID != "erase-1" {
		t.Errorf("entries %+v, %v: want the delete's only", es, err)
	}
	out, err := client.Query(ctx, &dynamodb.QueryInput{TableName: awssdk.String(table),
		KeyConditionExpression:    awssdk.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "u-1"}, ":p": &types.AttributeValueMemberS{Value: "~erasure#"}}})
	if err != nil || len(out.Items) != 2 {
		t.Fatalf("raw ledger items: %v %v", out, err)
	}
	for _, item := range out.Items {
		if _, ok := item["expires_at"]; ok {
			t.Errorf("ledger item expires: %v", item)
		}
	}
}
