package awsadapter_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

func TestStateTableGetManyMatchesGet(t *testing.T) {
	f := newStateFixture(t)
	counter := newCountingHTTP()
	cfg := f.srv.AWSConfig(ctxFor(t))
	cfg.HTTPClient = counter
	store := paws.NewStateTable(paws.DynamoDBOf(dynamodb.NewFromConfig(cfg)), f.table)

	// 150 subjects, every third with state (one of them a tombstone), and
	// one under another target that must not be read.
	var subjects []string
	want := map[string]delivery.State{}
	for i := range 150 {
		sub := "user-" + strconv.Itoa(i)
		subjects = append(subjects, sub)
		if i%3 == 0 {
			st := delivery.State{LastEventAt: t0.Add(time.Duration(i) * time.Second), LastEventID: "e" + strconv.Itoa(i),
				RecordID: "rec-" + strconv.Itoa(i), Hash: "h" + strconv.Itoa(i), Deleted: i == 99}
			f.put(t, "salesforce", sub, st)
			want[sub] = st
		}
	}
	f.put(t, "hubspot", "user-1", delivery.State{LastEventAt: t0, LastEventID: "other"})
	subjects = append(subjects, "user-3") // a duplicate: read once

	got, err := store.GetMany(ctxFor(t), "salesforce", subjects)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("GetMany found %d states, want %d", len(got), len(want))
	}
	for sub, w := range want {
		g, ok := got[sub]
		if !ok {
			t.Errorf("%s: not found", sub)
			continue
		}
		sameState(t, g, w)
		sameState(t, g, f.get(t, "salesforce", sub))
	}
	if _, ok := got["user-1"]; ok {
		t.Errorf("user-1 found: it has state only under another target")
	}
	if n := counter.Count(); n != 2 {
		t.Errorf("GetMany of 150 subjects sent %d requests, want 2 (BatchGetItem takes 100 keys)", n)
	}
}

// unprocessing passes the first key of each BatchGetItem to DynamoDB and
// returns the rest as unprocessed, as a throttled table does.
type unprocessing struct {
	paws.DynamoDBMethods
	calls atomic.Int32
}

func (u *unprocessing) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	u.calls.Add(1)
	for table, ka := range in.RequestItems {
		first := ka
		first.Keys = ka.Keys[:1]
		out, err := u.DynamoDBMethods.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: first}}, optFns...)
		if err != nil {
			return nil, err
		}
		if len(ka.Keys) > 1 {
			rest := ka
			rest.Keys = ka.Keys[1:]
			out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: rest}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no request items")
}

func TestStateTableGetManyRetriesUnprocessedKeys(t *testing.T) {
	f := newStateFixture(t)
	for i := range 4 {
		f.put(t, "salesforce", "u"+strconv.Itoa(i), delivery.State{LastEventAt: t0, LastEventID: "e" + strconv.Itoa(i)})
	}
	client := &unprocessing{DynamoDBMethods: paws.DynamoDBOf(f.client)}
	store := paws.NewStateTable(client, f.table)
	got, err := store.GetMany(ctxFor(t), "salesforce", []string{"u0", "u1", "u2", "u3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got["u3"].LastEventID != "e3" {
		t.Errorf("GetMany = %+v, want all four states", got)
	}
	if n := client.calls.Load(); n != 4 {
		t.Errorf("%d BatchGetItem calls, want 4 (one key processed each)", n)
	}

	// Five attempts in all, then an error rather than a silent miss.
	many := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	if _, err := store.GetMany(ctxFor(t), "salesforce", many); err == nil {
		t.Errorf("GetMany with keys left after five attempts: no error")
	}
}
