package awsadapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// The erasure ledger's items in the sync-log table (erasureItem: the
// subject's partition, "~erasure#target#event", no expiry) carry their
// status as an attribute of its own, which the writes' conditions read.
const (
	syncLogAttrStatus = "status"
	// ledgerParallel bounds the conditional puts one call has in flight:
	// a webhook's delete has one per target.
	ledgerParallel = 8
)

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
	rows := make([]delivery.Erasure, len(es))
	for i, e := range es {
		rows[i] = delivery.Erasure{Subject: e.Subject, Target: e.Target, EventID: e.EventID, Status: delivery.ErasurePending,
			RequestedAt: e.RequestedAt.UTC()}
	}
	return l.putLedger(ctx, rows, "attribute_not_exists(#pk)")
}

// settle writes what the deliveries made of their erasures (Record's
// delete entries). A confirmed erasure is final, as in the local ledger:
// a resent delete's second delivery (skipped, or failed) does not take
// its proof away; and a settled one is not made pending again by a late
// retry. Rows from before the status attribute take any settlement.
func (l *SyncLog) settle(ctx context.Context, es []delivery.Erasure) error {
	// The last of each key, as a batch's entries come in order.
	last := map[string]int{}
	for i, e := range es {
		last[e.Target+"\x00"+e.EventID+"\x00"+e.Subject] = i
	}
	var pending, settled []delivery.Erasure
	for i, e := range es {
		if last[e.Target+"\x00"+e.EventID+"\x00"+e.Subject] != i {
			continue
		}
		if e.Status == delivery.ErasurePending {
			pending = append(pending, e)
		} else {
			settled = append(settled, e)
		}
	}
	const missing = "attribute_not_exists(#pk) OR attribute_not_exists(#st)"
	return errors.Join(
		l.putLedger(ctx, pending, missing+" OR #st = :pending"),
		l.putLedger(ctx, settled, missing+" OR #st <> :confirmed"),
	)
}

// putLedger puts each row under condition (which may name #pk, #st,
// :pending and :confirmed), a few at a time; a row the condition keeps
// out is no error.
func (l *SyncLog) putLedger(ctx context.Context, es []delivery.Erasure, condition string) error {
	if len(es) == 0 {
		return nil
	}
	errs := make([]error, len(es))
	sem := make(chan struct{}, ledgerParallel)
	var wg sync.WaitGroup
	for i, e := range es {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = l.putLedgerRow(ctx, e, condition)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *SyncLog) putLedgerRow(ctx context.Context, e delivery.Erasure, condition string) error {
	item, err := erasureItem(e)
	if err != nil {
		return err
	}
	item[syncLogAttrStatus] = &types.AttributeValueMemberS{Value: string(e.Status)}
	in := &dynamodb.PutItemInput{TableName: awssdk.String(l.table), Item: item, ConditionExpression: awssdk.String(condition),
		ExpressionAttributeNames: map[string]string{"#pk": syncLogAttrPK}}
	values := map[string]types.AttributeValue{}
	for name, v := range map[string]delivery.ErasureStatus{":pending": delivery.ErasurePending, ":confirmed": delivery.ErasureConfirmed} {
		if strings.Contains(condition, name) {
			values[name] = &types.AttributeValueMemberS{Value: string(v)}
		}
	}
	if strings.Contains(condition, "#st") {
		in.ExpressionAttributeNames["#st"] = syncLogAttrStatus
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	_, err = l.client.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("erasure ledger %s/%s: %w", e.Target, e.EventID, err)
	}
	return nil
}

// NewIngressLedger is the erasure ledger as the ingress writes it: Open
// only, over a signed PutItem (SignedPutItem), which is all its IAM
// statement allows.
func NewIngressLedger(cfg awssdk.Config, table string) (delivery.ErasureLedger, error) {
	put, err := NewSignedPutItem(cfg)
	if err != nil {
		return nil, err
	}
	return NewSyncLog(DynamoDBMethods{PutItemFunc: put.PutItem}, table, 0), nil
}
