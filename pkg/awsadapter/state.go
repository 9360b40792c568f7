package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// TombstoneTTL is how long a tombstone (State.Deleted) stays in the state
// table: DynamoDB's TTL deletes it some time after its expires_at passes.
// Live records never expire.
const TombstoneTTL = 30 * 24 * time.Hour

// Attribute names of the state table (template.yaml, StateTable). pk and sk
// are the key schema; expires_at is the table's TimeToLiveSpecification.
const (
	stateAttrPK          = "pk"
	stateAttrSK          = "sk"
	stateAttrLastEventAt = "last_event_at"    // RFC 3339, nanoseconds, UTC
	stateAttrLastEventNs = "last_event_nanos" // the same instant as a number, for conditions
	stateAttrLastEventID = "last_event_id"
	stateAttrRecordID    = "record_id"
	stateAttrHash        = "hash"
	stateAttrDeleted     = "deleted"
	stateAttrUpdatedAt   = "updated_at" // RFC 3339, when this item was written
	stateAttrExpiresAt   = "expires_at" // epoch seconds; tombstones only
	stateAttrFields      = "fields"     // map of target path to print (delivery.State.Fields)

	statePKPrefix = "target#"
	stateSKPrefix = "subject#"
)

// ErrStaleState reports a Put refused because the table already holds state
// from a later event (written, say, by another Lambda concurrently): the
// newer state wins and the caller's is dropped.
var ErrStaleState = delivery.ErrStaleState

// DynamoDBAPI is the part of *dynamodb.Client that StateTable uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// StateTable is the delivery.StateStore over DynamoDB: one item per
// (target, subject), keyed pk="target#<target>", sk="subject#<subject>".
// It is safe for concurrent use.
type StateTable struct {
	client DynamoDBAPI
	table  string
	now    func() time.Time
}

var _ delivery.StateStore = (*StateTable)(nil)

// StateTableOption configures NewStateTable.
type StateTableOption func(*StateTable)

// WithStateClock replaces time.Now (which sets updated_at and tombstone
// expiry), for tests.
func WithStateClock(now func() time.Time) StateTableOption {
	return func(s *StateTable) { s.now = now }
}

// NewStateTable returns a StateTable over table (the STATE_TABLE environment
// variable of the target Lambdas).
func NewStateTable(client DynamoDBAPI, table string, opts ...StateTableOption) *StateTable {
	s := &StateTable{client: client, table: table, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

func stateKey(target, subject string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		stateAttrPK: &types.AttributeValueMemberS{Value: statePKPrefix + target},
		stateAttrSK: &types.AttributeValueMemberS{Value: stateSKPrefix + subject},
	}
}

// Get reads the state of subject for target with a strongly consistent read;
// found is false when there is none.
func (s *StateTable) Get(ctx context.Context, target, subject string) (delivery.State, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      awssdk.String(s.table),
		Key:            stateKey(target, subject),
		ConsistentRead: awssdk.Bool(true),
	})
	if err != nil {
		return delivery.State{}, false, fmt.Errorf("get state %s/%s: %w", target, subject, err)
	}
	if len(out.Item) == 0 {
		return delivery.State{}, false, nil
	}
	st, err := decodeState(out.Item)
	if err != nil {
		return delivery.State{}, false, fmt.Errorf("get state %s/%s: %w", target, subject, err)
	}
	return st, true, nil
}

// Put stores st as the state of subject for target unless the table holds
// state from a later event, in which case it returns an error wrapping
// ErrStaleState and leaves the item alone. An equal LastEventAt is accepted,
// so replaying an event is harmless. Tombstones get expires_at (now plus
// TombstoneTTL); live records get none, and a live Put over a tombstone
// removes it.
func (s *StateTable) Put(ctx context.Context, target, subject string, st delivery.State) error {
	if target == "" || subject == "" {
		return errors.New("put state: target and subject are required")
	}
	now := s.now().UTC()
	nanos := unixNanos(st.LastEventAt)
	item := stateKey(target, subject)
	item[stateAttrLastEventAt] = &types.AttributeValueMemberS{Value: st.LastEventAt.UTC().Format(time.RFC3339Nano)}
	item[stateAttrLastEventNs] = &types.AttributeValueMemberN{Value: nanos}
	item[stateAttrDeleted] = &types.AttributeValueMemberBOOL{Value: st.Deleted}
	item[stateAttrUpdatedAt] = &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)}
	// DynamoDB accepts empty strings in non-key attributes, but absent
	// attributes keep items small and read back as "" all the same.
	for name, v := range map[string]string{
		stateAttrLastEventID: st.LastEventID,
		stateAttrRecordID:    st.RecordID,
		stateAttrHash:        st.Hash,
	} {
		if v != "" {
			item[name] = &types.AttributeValueMemberS{Value: v}
		}
	}
	if len(st.Fields) > 0 {
		fields := make(map[string]types.AttributeValue, len(st.Fields))
		for k, v := range st.Fields {
			fields[k] = &types.AttributeValueMemberS{Value: v}
		}
		item[stateAttrFields] = &types.AttributeValueMemberM{Value: fields}
	}
	if st.Deleted {
		item[stateAttrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(TombstoneTTL).Unix(), 10)}
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           awssdk.String(s.table),
		Item:                item,
		ConditionExpression: awssdk.String("attribute_not_exists(#pk) OR #ns <= :new"),
		ExpressionAttributeNames: map[string]string{
			"#pk": stateAttrPK,
			"#ns": stateAttrLastEventNs,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": &types.AttributeValueMemberN{Value: nanos},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		stored := "a later event"
		if at, ok := ccf.Item[stateAttrLastEventAt].(*types.AttributeValueMemberS); ok {
			stored = "event at " + at.Value
		}
		return fmt.Errorf("put state %s/%s for event at %s: table holds %s: %w",
			target, subject, st.LastEventAt.UTC().Format(time.RFC3339Nano), stored, ErrStaleState)
	}
	if err != nil {
		return fmt.Errorf("put state %s/%s: %w", target, subject, err)
	}
	return nil
}

// unixNanos is t as exact nanoseconds since the Unix epoch in decimal. Unlike
// time.Time.UnixNano it does not overflow outside 1678–2262 (the zero Time
// included); DynamoDB numbers hold 38 digits, and compare numerically.
func unixNanos(t time.Time) string {
	n := big.NewInt(t.Unix())
	n.Mul(n, big.NewInt(int64(time.Second)))
	n.Add(n, big.NewInt(int64(t.Nanosecond())))
	return n.String()
}

func decodeState(item map[string]types.AttributeValue) (delivery.State, error) {
	var st delivery.State
	at, ok := item[stateAttrLastEventAt].(*types.AttributeValueMemberS)
	if !ok {
		return st, fmt.Errorf("item has no string %s", stateAttrLastEventAt)
	}
	t, err := time.Parse(time.RFC3339Nano, at.Value)
	if err != nil {
		return st, fmt.Errorf("item %s: %w", stateAttrLastEventAt, err)
	}
	st.LastEventAt = t.UTC()
	st.LastEventID = stringAttr(item, stateAttrLastEventID)
	st.RecordID = stringAttr(item, stateAttrRecordID)
	st.Hash = stringAttr(item, stateAttrHash)
	if d, ok := item[stateAttrDeleted].(*types.AttributeValueMemberBOOL); ok {
		st.Deleted = d.Value
	}
	if m, ok := item[stateAttrFields].(*types.AttributeValueMemberM); ok && len(m.Value) > 0 {
		st.Fields = make(map[string]string, len(m.Value))
		for k, v := range m.Value {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				st.Fields[k] = s.Value
			}
		}
	}
	return st, nil
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
