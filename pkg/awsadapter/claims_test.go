package awsadapter_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/claimstest"
)

// newClaimsTable creates a claims table in moto (string pk and sk, TTL on
// expires_at_epoch) under a random name, so no test sees another's items.
func newClaimsTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	srv := moto.Start(t)
	client := dynamodb.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	table := "claims-" + hex.EncodeToString(b)
	_, err := client.CreateTable(ctxFor(t), &dynamodb.CreateTableInput{
		TableName:   awssdk.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	_, err = client.UpdateTimeToLive(ctxFor(t), &dynamodb.UpdateTimeToLiveInput{
		TableName: awssdk.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: awssdk.String("expires_at_epoch"), Enabled: awssdk.Bool(true),
		},
	})
	if err != nil {
		t.Fatalf("enable ttl: %v", err)
	}
	return client, table
}

// TestClaimStoreContract runs the claims.Store contract on DynamoDB.
func TestClaimStoreContract(t *testing.T) {
	claimstest.Run(t, func(t *testing.T) claims.Store {
		client, table := newClaimsTable(t)
		return paws.NewClaimStore(paws.ClaimDynamoDBOf(client), table)
	}, claimstest.WithoutRaces("moto does not serialise concurrent writes to one item; TestClaimStoreLostRaces forces the interleavings"))
}

// TestClaimStoreItems checks the items as stored: the key design the
// template and the operators' queries rely on, and the audit TTL.
func TestClaimStoreItems(t *testing.T) {
	client, table := newClaimsTable(t)
	store := paws.NewClaimStore(paws.ClaimDynamoDBOf(client), table)
	d := claimstest.Decision("d1", "sub-a", "hcp", 0, claims.Verified)
	if err := store.Record(ctxFor(t), d); err != nil {
		t.Fatal(err)
	}
	wantTTL := strconv.FormatInt(d.ExpiresAt.Add(365*24*time.Hour).Unix(), 10)
	for _, sk := range []string{"decision#hcp#" + d.DecidedAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#d1", "latest#hcp"} {
		out, err := client.GetItem(ctxFor(t), &dynamodb.GetItemInput{TableName: &table, ConsistentRead: awssdk.Bool(true),
			Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "claim#sub-a"}, "sk": &types.AttributeValueMemberS{Value: sk},
			}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Item) == 0 {
			t.Fatalf("no item claim#sub-a / %s", sk)
		}
		if ttl, ok := out.Item["expires_at_epoch"].(*types.AttributeValueMemberN); !ok || ttl.Value != wantTTL {
			t.Errorf("%s: expires_at_epoch %v, want %s (expiry + 1 year)", sk, out.Item["expires_at_epoch"], wantTTL)
		}
	}
	a := claimstest.Approval("ap-1", "sub-a", "hcp", "h1", 0)
	if _, _, err := store.OpenApproval(ctxFor(t), a); err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		out, err := client.Query(ctxFor(t), &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: awssdk.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "approvals#pending"}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Items)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d pending index items after opening an approval, want 1", n)
	}
	if _, err := store.DecideApproval(ctxFor(t), "ap-1", claims.ApprovalApproved, "approver-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Errorf("%d pending index items after the decision, want 0", n)
	}
}

// interleaved runs cut once, just before the first transaction the store
// writes: another caller's whole operation lands between the store's read
// and its conditional write, which is the race the conditions guard.
type interleaved struct {
	paws.ClaimDynamoDBAPI
	once sync.Once
	cut  func()
}

func (c *interleaved) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.once.Do(c.cut)
	return c.ClaimDynamoDBAPI.TransactWriteItems(ctx, in, optFns...)
}

// TestClaimStoreLostRaces forces the interleavings the contract's race
// subtests leave to chance (and which moto, not serialising concurrent
// writes, cannot run): the loser of each race is refused by its write's
// condition.
func TestClaimStoreLostRaces(t *testing.T) {
	t.Run("a decision after another's read", func(t *testing.T) {
		client, table := newClaimsTable(t)
		other := paws.NewClaimStore(paws.ClaimDynamoDBOf(client), table)
		if _, _, err := other.OpenApproval(ctxFor(t), claimstest.Approval("ap-1", "sub-a", "hcp", "h1", 0)); err != nil {
			t.Fatal(err)
		}
		ic := &interleaved{ClaimDynamoDBAPI: paws.ClaimDynamoDBOf(client), cut: func() {
			if _, err := other.DecideApproval(ctxFor(t), "ap-1", claims.ApprovalApproved, "approver-1", time.Now()); err != nil {
				t.Errorf("the other decision: %v", err)
			}
		}}
		_, err := paws.NewClaimStore(ic, table).DecideApproval(ctxFor(t), "ap-1", claims.ApprovalRejected, "approver-2", time.Now())
		if !errors.Is(err, claims.ErrAlreadyDecided) {
			t.Fatalf("the losing decision: %v, want ErrAlreadyDecided", err)
		}
		a, err := other.Approval(ctxFor(t), "ap-1")
		if err != nil || a.Status != claims.ApprovalApproved || a.Approver != "approver-1" {
			t.Errorf("stored: %s by %q, %v; want approved by approver-1", a.Status, a.Approver, err)
		}
	})
	t.Run("an approval opened after another's read", func(t *testing.T) {
		client, table := newClaimsTable(t)
		other := paws.NewClaimStore(paws.ClaimDynamoDBOf(client), table)
		ic := &interleaved{ClaimDynamoDBAPI: paws.ClaimDynamoDBOf(client), cut: func() {
			if _, created, err := other.OpenApproval(ctxFor(t), claimstest.Approval("first", "sub-a", "hcp", "h1", 0)); err != nil || !created {
				t.Errorf("the other open: created %v, %v", created, err)
			}
		}}
		got, created, err := paws.NewClaimStore(ic, table).OpenApproval(ctxFor(t), claimstest.Approval("second", "sub-a", "hcp", "h1", 1))
		if err != nil || created || got.ID != "first" {
			t.Fatalf("the losing open = %s, created %v, %v; want first, not created", got.ID, created, err)
		}
		if _, err := other.Approval(ctxFor(t), "second"); !errors.Is(err, claims.ErrNoApproval) {
			t.Errorf("the losing approval was stored: %v", err)
		}
		p, err := other.PendingApprovals(ctxFor(t))
		if err != nil || len(p) != 1 {
			t.Errorf("PendingApprovals = %d, %v; want 1", len(p), err)
		}
	})
	t.Run("an expired approval replaced after another's read", func(t *testing.T) {
		client, table := newClaimsTable(t)
		other := paws.NewClaimStore(paws.ClaimDynamoDBOf(client), table)
		if _, _, err := other.OpenApproval(ctxFor(t), claimstest.Approval("old", "sub-a", "hcp", "h1", 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := other.DecideApproval(ctxFor(t), "old", claims.ApprovalExpired, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		ic := &interleaved{ClaimDynamoDBAPI: paws.ClaimDynamoDBOf(client), cut: func() {
			if _, created, err := other.OpenApproval(ctxFor(t), claimstest.Approval("first", "sub-a", "hcp", "h1", 1)); err != nil || !created {
				t.Errorf("the other open: created %v, %v", created, err)
			}
		}}
		got, created, err := paws.NewClaimStore(ic, table).OpenApproval(ctxFor(t), claimstest.Approval("second", "sub-a", "hcp", "h1", 2))
		if err != nil || created || got.ID != "first" {
			t.Fatalf("the losing open = %s, created %v, %v; want first, not created", got.ID, created, err)
		}
	})
}
