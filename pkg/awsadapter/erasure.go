package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// openParallel bounds the conditional puts one Open has in flight: a
// webhook's delete has one per target.
const openParallel = 8

var _ delivery.ErasureLedger = (*SyncLog)(nil)

// Open records erasures asked for as pending (the ingress, for every
// delete it queues; `profilesync erase`), leaving any already there: a
// resent delete neither duplicates its rows nor reopens a settled one.
//
// One conditional PutItem per row, concurrently: BatchWriteItem takes no
// condition, so it would overwrite a confirmed row with pending, and
// TransactWriteItems would cost twice the write units and fail the whole
// batch on the first row already there. Only deletes come here, so
// creates and updates cost the table nothing.
func (l *SyncLog) Open(ctx context.Context, es []delivery.Erasure) error {
	items := make([]map[string]types.AttributeValue, 0, len(es))
	for _, e := range es {
		item, err := erasureItem(pendingOnly(e))
		if err != nil {
			return err
		}
		items = append(items, item)
	}
	errs := make([]error, len(items))
	sem := make(chan struct{}, openParallel)
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = l.openOne(ctx, item, es[i])
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pendingOnly is e as Open records it: pending, nothing settled.
func pendingOnly(e delivery.Erasure) delivery.Erasure {
	return delivery.Erasure{Subject: e.Subject, Target: e.Target, EventID: e.EventID, Status: delivery.ErasurePending,
		RequestedAt: e.RequestedAt.UTC()}
}

// openOne puts one pending row unless its key is there already.
func (l *SyncLog) openOne(ctx context.Context, item map[string]types.AttributeValue, e delivery.Erasure) error {
	_, err := l.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: awssdk.String(l.table), Item: item,
		ConditionExpression: awssdk.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": syncLogAttrPK}})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("open erasure %s/%s: %w", e.Target, e.EventID, err)
	}
	return nil
}
