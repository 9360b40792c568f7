package awsadapter

import (
	"context"
	"fmt"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// AbandonedTTL is how long an abandoned record stays in the state table.
const AbandonedTTL = 90 * 24 * time.Hour

// abandonedSKPrefix keys abandoned records beside the state items of their
// target: pk="target#<target>", sk="abandoned#<subject>#<event id>", so
// one Query lists a target's abandoned events and no new table is needed.
const abandonedSKPrefix = "abandoned#"

// AbandonedAPI is the part of *dynamodb.Client that AbandonedTable uses.
type AbandonedAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// AbandonedTable is the delivery.AbandonedLog over the state table
// (STATE_TABLE). It needs dynamodb:PutItem, and dynamodb:Query to list.
type AbandonedTable struct {
	client AbandonedAPI
	table  string
	now    func() time.Time
}

var _ delivery.AbandonedLog = (*AbandonedTable)(nil)

// NewAbandonedTable returns the abandoned log in table.
func NewAbandonedTable(client AbandonedAPI, table string) *AbandonedTable {
	return &AbandonedTable{client: client, table: table, now: time.Now}
}

// RecordAbandoned writes one record per (target, subject, event); a second
// abandonment of the same event (after a redrive) replaces the first.
func (t *AbandonedTable) RecordAbandoned(ctx context.Context, a delivery.Abandoned) error {
	subject, event := a.Subject, a.EventID
	if event == "" {
		event = "message-" + a.MessageID // undecodable: only the message id is known
	}
	item := map[string]types.AttributeValue{
		stateAttrPK:  &types.AttributeValueMemberS{Value: statePKPrefix + a.Target},
		stateAttrSK:  &types.AttributeValueMemberS{Value: abandonedSKPrefix + subject + "#" + event},
		"expires_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(t.now().Add(AbandonedTTL).Unix(), 10)},
	}
	strs := map[string]string{"subject": subject, "event_id": a.EventID, "event_type": a.EventType, "source": a.Source,
		"message_id": a.MessageID, "reason": a.Reason.String()}
	for k, v := range a.Reason.Attributes() {
		strs[k] = v
	}
	for k, v := range strs {
		if v != "" {
			item[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	if _, err := t.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: awssdk.String(t.table), Item: item}); err != nil {
		return fmt.Errorf("record abandoned %s/%s/%s: %w", a.Target, subject, event, err)
	}
	return nil
}

// List returns target's abandoned records as attribute maps, by subject.
func (t *AbandonedTable) List(ctx context.Context, target string) ([]map[string]string, error) {
	var out []map[string]string
	var start map[string]types.AttributeValue
	for {
		res, err := t.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                awssdk.String(t.table),
			KeyConditionExpression:   awssdk.String("#pk = :pk AND begins_with(#sk, :prefix)"),
			ExpressionAttributeNames: map[string]string{"#pk": stateAttrPK, "#sk": stateAttrSK},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: statePKPrefix + target},
				":prefix": &types.AttributeValueMemberS{Value: abandonedSKPrefix},
			},
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("list abandoned of %s: %w", target, err)
		}
		for _, item := range res.Items {
			m := map[string]string{}
			for k, v := range item {
				if s, ok := v.(*types.AttributeValueMemberS); ok && k != stateAttrPK && k != stateAttrSK {
					m[k] = s.Value
				}
			}
			out = append(out, m)
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			return out, nil
		}
	}
}
