package awsadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/claims"
)

// AuditRetention is how long the claims table keeps a decision or an
// approval after it expires: DynamoDB's TTL (attribute expires_at_epoch)
// deletes it some time after its expires_at plus this. A decision without
// an expiry is kept for good.
const AuditRetention = 365 * 24 * time.Hour

// Attribute names and key prefixes of the claims table (partition key
// "pk", sort key "sk", both strings; TTL on expires_at_epoch):
//
//	pk claim#<subject>     sk decision#<rule>#<decided_at>#<id>  one per decision (History)
//	pk claim#<subject>     sk latest#<rule>                      the newest decision (Latest)
//	pk claim#<subject>     sk open#<rule>#<evidence_hash>        the id of the newest approval for the evidence
//	pk approval#<id>       sk approval                           the approval
//	pk approvals#pending   sk <requested_at>#<id>                one per pending approval (PendingApprovals)
//
// Times in sort keys are UTC with nine fractional digits, so they sort as
// strings. Items carry the record as JSON in "detail"; an approval's
// mutable fields (status, approver, decided_at, reminded_at) are
// attributes of their own, so a reminder and a decision never overwrite
// each other.
const (
	claimAttrPK       = "pk"
	claimAttrSK       = "sk"
	claimAttrDetail   = "detail"
	claimAttrTTL      = "expires_at_epoch"
	claimAttrRule     = "rule"
	claimAttrVerdict  = "verdict"
	claimAttrID       = "approval_id"
	claimAttrStatus   = "status"
	claimAttrApprover = "approver"
	claimAttrDecided  = "decided_at"
	claimAttrReminded = "reminded_at"

	claimPKSubject   = "claim#"
	claimPKApproval  = "approval#"
	claimPKPending   = "approvals#pending"
	claimSKDecision  = "decision#"
	claimSKLatest    = "latest#"
	claimSKOpen      = "open#"
	claimSKApproval  = "approval"
	claimSortableUTC = "2006-01-02T15:04:05.000000000Z"
)

// ClaimDynamoDBAPI is the part of *dynamodb.Client that ClaimStore uses.
type ClaimDynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// ClaimStore is the claims.Store over one DynamoDB table (CLAIMS_TABLE;
// key design above). Every write that must not race is conditional:
// opening an approval puts its index item only where none is (or where
// the one there still names the expired approval it replaces), and
// deciding one updates it only while its status is pending. It is safe
// for concurrent use.
type ClaimStore struct {
	client ClaimDynamoDBAPI
	table  string
}

var _ claims.Store = (*ClaimStore)(nil)

// NewClaimStore returns the store over table.
func NewClaimStore(client ClaimDynamoDBAPI, table string) *ClaimStore {
	return &ClaimStore{client: client, table: table}
}

func sortableTime(t time.Time) string { return t.UTC().Format(claimSortableUTC) }

func strAttr(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func claimKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{claimAttrPK: strAttr(pk), claimAttrSK: strAttr(sk)}
}

// retainUntil is the TTL of a record that expires at exp (none: kept).
func retainUntil(item map[string]types.AttributeValue, exp time.Time) {
	if !exp.IsZero() {
		item[claimAttrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(exp.Add(AuditRetention).Unix(), 10)}
	}
}

// Latest implements claims.Store with one strongly consistent GetItem.
func (s *ClaimStore) Latest(ctx context.Context, subject, rule string) (*claims.Decision, error) {
	item, err := s.get(ctx, claimPKSubject+subject, claimSKLatest+rule)
	if err != nil || item == nil {
		return nil, wrapClaims("read latest decision", err)
	}
	var d claims.Decision
	if err := decodeDetail(item, &d); err != nil {
		return nil, fmt.Errorf("read latest decision: %w", err)
	}
	return &d, nil
}

// Record implements claims.Store: the decision's item and the rule's
// latest item in one transaction.
func (s *ClaimStore) Record(ctx context.Context, d claims.Decision) error {
	if d.Subject == "" || d.Rule == "" || d.ID == "" {
		return errors.New("record claim decision: id, subject and rule are required")
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return err
	}
	item := func(sk string) map[string]types.AttributeValue {
		it := claimKey(claimPKSubject+d.Subject, sk)
		it[claimAttrDetail] = strAttr(string(detail))
		it[claimAttrRule] = strAttr(d.Rule)
		it[claimAttrVerdict] = strAttr(string(d.Verdict))
		it[claimAttrDecided] = strAttr(sortableTime(d.DecidedAt))
		retainUntil(it, d.ExpiresAt)
		return it
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: item(claimSKDecision + d.Rule + "#" + sortableTime(d.DecidedAt) + "#" + d.ID)}},
		{Put: &types.Put{TableName: &s.table, Item: item(claimSKLatest + d.Rule)}},
	}})
	return wrapClaims("record claim decision", err)
}

// History implements claims.Store: a Query of the subject's decision
// items, ordered by decided_at (the sort key orders them by rule first).
func (s *ClaimStore) History(ctx context.Context, subject string) ([]claims.Decision, error) {
	items, err := s.query(ctx, claimPKSubject+subject, claimSKDecision)
	if err != nil {
		return nil, wrapClaims("list claim decisions", err)
	}
	out := make([]claims.Decision, len(items))
	for i, it := range items {
		if err := decodeDetail(it, &out[i]); err != nil {
			return nil, fmt.Errorf("list claim decisions: %w", err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DecidedAt.Before(out[j].DecidedAt) })
	return out, nil
}

// openAttempts bounds OpenApproval's optimistic loop: each lost race
// means another caller created or replaced the approval, which the next
// round then finds.
const openAttempts = 5

// OpenApproval implements claims.Store. The index item
// claim#<subject>/open#<rule>#<hash> names the newest approval; a new one
// is written with it and its pending item in one transaction whose
// condition is that the index is still what was read, so of two racing
// callers one creates and the other finds that one.
func (s *ClaimStore) OpenApproval(ctx context.Context, a claims.Approval) (claims.Approval, bool, error) {
	if a.ID == "" || a.Subject == "" || a.Rule == "" {
		return claims.Approval{}, false, errors.New("open approval: id, subject and rule are required")
	}
	pk, sk := claimPKSubject+a.Subject, claimSKOpen+a.Rule+"#"+a.EvidenceHash
	for range openAttempts {
		idx, err := s.get(ctx, pk, sk)
		if err != nil {
			return claims.Approval{}, false, wrapClaims("open approval", err)
		}
		prev := stringAttr(idx, claimAttrID)
		if prev != "" {
			cur, err := s.Approval(ctx, prev)
			switch {
			case err == nil && cur.Status != claims.ApprovalExpired:
				return cur, false, nil
			case err != nil && !errors.Is(err, claims.ErrNoApproval):
				return claims.Approval{}, false, err
			}
			// Expired, or gone past its retention: replace it.
		}
		err = s.create(ctx, a, pk, sk, prev)
		if err == nil {
			return a, true, nil
		}
		if !conditionFailed(err) {
			return claims.Approval{}, false, wrapClaims("open approval", err)
		}
	}
	return claims.Approval{}, false, fmt.Errorf("open approval: lost %d races for the same evidence", openAttempts)
}

func (s *ClaimStore) create(ctx context.Context, a claims.Approval, pk, sk, prev string) error {
	detail, err := json.Marshal(a)
	if err != nil {
		return err
	}
	idx := claimKey(pk, sk)
	idx[claimAttrID] = strAttr(a.ID)
	retainUntil(idx, a.ExpiresAt)
	idxPut := &types.Put{TableName: &s.table, Item: idx, ExpressionAttributeNames: map[string]string{"#pk": claimAttrPK}}
	if prev == "" {
		idxPut.ConditionExpression = awssdk.String("attribute_not_exists(#pk)")
	} else {
		idxPut.ConditionExpression = awssdk.String("#id = :prev")
		idxPut.ExpressionAttributeNames = map[string]string{"#id": claimAttrID}
		idxPut.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": strAttr(prev)}
	}
	item := claimKey(claimPKApproval+a.ID, claimSKApproval)
	item[claimAttrDetail] = strAttr(string(detail))
	item[claimAttrStatus] = strAttr(string(a.Status))
	retainUntil(item, a.ExpiresAt)
	items := []types.TransactWriteItem{
		{Put: idxPut},
		{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: awssdk.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": claimAttrPK}}},
	}
	if a.Status == claims.ApprovalPending {
		p := claimKey(claimPKPending, pendingSK(a))
		p[claimAttrID] = strAttr(a.ID)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: p}})
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

func pendingSK(a claims.Approval) string { return sortableTime(a.RequestedAt) + "#" + a.ID }

// Approval implements claims.Store.
func (s *ClaimStore) Approval(ctx context.Context, id string) (claims.Approval, error) {
	item, err := s.get(ctx, claimPKApproval+id, claimSKApproval)
	if err != nil {
		return claims.Approval{}, wrapClaims("read approval", err)
	}
	if item == nil {
		return claims.Approval{}, claims.ErrNoApproval
	}
	return decodeApproval(item)
}

// DecideApproval implements claims.Store: the approval's status changes
// only on the condition that it is pending, and its pending item goes in
// the same transaction.
func (s *ClaimStore) DecideApproval(ctx context.Context, id string, status claims.ApprovalStatus, approver string, at time.Time) (claims.Approval, error) {
	a, err := s.Approval(ctx, id)
	if err != nil {
		return claims.Approval{}, err
	}
	if a.Status != claims.ApprovalPending {
		return a, claims.ErrAlreadyDecided
	}
	at = at.UTC()
	set := "SET #st = :st, #dec = :dec"
	values := map[string]types.AttributeValue{
		":st": strAttr(string(status)), ":dec": strAttr(at.Format(time.RFC3339Nano)), ":pending": strAttr(string(claims.ApprovalPending)),
	}
	names := map[string]string{"#st": claimAttrStatus, "#dec": claimAttrDecided}
	if approver != "" {
		set += ", #by = :by"
		names["#by"], values[":by"] = claimAttrApprover, strAttr(approver)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.table, Key: claimKey(claimPKApproval+id, claimSKApproval),
			UpdateExpression: awssdk.String(set), ConditionExpression: awssdk.String("#st = :pending"),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		{Delete: &types.Delete{TableName: &s.table, Key: claimKey(claimPKPending, pendingSK(a))}},
	}})
	if conditionFailed(err) {
		return a, claims.ErrAlreadyDecided
	}
	if err != nil {
		return claims.Approval{}, wrapClaims("decide approval", err)
	}
	a.Status, a.Approver, a.DecidedAt = status, approver, at
	return a, nil
}

// Reminded implements claims.Store; an unknown approval is no error (the
// reminder run lists what exists).
func (s *ClaimStore) Reminded(ctx context.Context, id string, at time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: claimKey(claimPKApproval+id, claimSKApproval),
		UpdateExpression:          awssdk.String("SET #rem = :at"),
		ConditionExpression:       awssdk.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#rem": claimAttrReminded, "#pk": claimAttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": strAttr(at.UTC().Format(time.RFC3339Nano))},
	})
	if conditionFailed(err) {
		return nil
	}
	return wrapClaims("record reminder", err)
}

// PendingApprovals implements claims.Store: the pending partition in
// requested order, each approval read by id. An index item whose
// approval is no longer pending (its delete failed) is skipped.
func (s *ClaimStore) PendingApprovals(ctx context.Context) ([]claims.Approval, error) {
	items, err := s.query(ctx, claimPKPending, "")
	if err != nil {
		return nil, wrapClaims("list pending approvals", err)
	}
	var out []claims.Approval
	for _, it := range items {
		a, err := s.Approval(ctx, stringAttr(it, claimAttrID))
		if errors.Is(err, claims.ErrNoApproval) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.Status == claims.ApprovalPending {
			out = append(out, a)
		}
	}
	return out, nil
}

// get reads one item with a strongly consistent read; nil when absent.
func (s *ClaimStore) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: claimKey(pk, sk), ConsistentRead: awssdk.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// query reads every item of partition pk whose sort key begins with
// prefix ("" for all), in sort key order, page by page.
func (s *ClaimStore) query(ctx context.Context, pk, prefix string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    awssdk.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": claimAttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": strAttr(pk)},
		ConsistentRead:            awssdk.Bool(true),
	}
	if prefix != "" {
		in.KeyConditionExpression = awssdk.String("#pk = :pk AND begins_with(#sk, :prefix)")
		in.ExpressionAttributeNames["#sk"] = claimAttrSK
		in.ExpressionAttributeValues[":prefix"] = strAttr(prefix)
	}
	var items []map[string]types.AttributeValue
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func decodeDetail(item map[string]types.AttributeValue, v any) error {
	detail, ok := item[claimAttrDetail].(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("item has no string %s", claimAttrDetail)
	}
	return json.Unmarshal([]byte(detail.Value), v)
}

func decodeApproval(item map[string]types.AttributeValue) (claims.Approval, error) {
	var a claims.Approval
	if err := decodeDetail(item, &a); err != nil {
		return claims.Approval{}, fmt.Errorf("read approval: %w", err)
	}
	if st := stringAttr(item, claimAttrStatus); st != "" {
		a.Status = claims.ApprovalStatus(st)
	}
	if by := stringAttr(item, claimAttrApprover); by != "" {
		a.Approver = by
	}
	for name, dst := range map[string]*time.Time{claimAttrDecided: &a.DecidedAt, claimAttrReminded: &a.RemindedAt} {
		if v := stringAttr(item, name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return claims.Approval{}, fmt.Errorf("read approval: %s: %w", name, err)
			}
			*dst = t.UTC()
		}
	}
	return a, nil
}

// conditionFailed says whether err is a refused condition: of a single
// write, or of any write of a cancelled transaction.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			if awssdk.ToString(r.Code) == "ConditionalCheckFailed" {
				return true
			}
		}
	}
	return false
}

func wrapClaims(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ClaimDynamoDBMethods are ClaimStore's DynamoDB operations as method
// values (see DynamoDBMethods for why not the client itself).
type ClaimDynamoDBMethods struct {
	DynamoDBMethods
	UpdateItemFunc         func(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItemsFunc func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// ClaimDynamoDBOf returns c's operations as method values.
func ClaimDynamoDBOf(c *dynamodb.Client) ClaimDynamoDBMethods {
	return ClaimDynamoDBMethods{DynamoDBMethods: DynamoDBOf(c), UpdateItemFunc: c.UpdateItem, TransactWriteItemsFunc: c.TransactWriteItems}
}

var _ ClaimDynamoDBAPI = ClaimDynamoDBMethods{}

func (m ClaimDynamoDBMethods) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return m.UpdateItemFunc(ctx, in, optFns...)
}

func (m ClaimDynamoDBMethods) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return m.TransactWriteItemsFunc(ctx, in, optFns...)
}
