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

	"github.com/profilesync/profilesync/pkg/delivery"
)

// Attribute names of the sync-log table (template.yaml, SyncLogTable): pk
// is the subject, sk orders a subject's entries by time, then target and
// event; expires_at is the table's TTL; entry is the delivery.Entry as
// JSON (ids, outcome, reason and the field diff as the mapping's log
// settings allow: never raw profile data).
const (
	syncLogAttrPK      = "pk"
	syncLogAttrSK      = "sk"
	syncLogAttrTarget  = "target"
	syncLogAttrEntry   = "entry"
	syncLogAttrExpires = "expires_at"

	// syncLogNoSubject keys the entries of messages that could not be
	// decoded (no subject known).
	syncLogNoSubject = "-"
	// syncLogTime sorts as text in time order (fixed width, UTC).
	syncLogTime = "2006-01-02T15:04:05.000000000Z"
	// syncLogLedger prefixes the erasure ledger's items beside a subject's
	// entries (sorting after every time); they have no expires_at.
	syncLogLedger = "~erasure#"
	// syncLogBatch is BatchWriteItem's limit of items per call.
	syncLogBatch = 25
	// syncLogRounds bounds the retries of unprocessed items per chunk.
	syncLogRounds = 5
)

// SyncLogAPI is the part of *dynamodb.Client that SyncLog uses: the sync
// functions write (BatchWriteItem), the CLI reads (Query).
type SyncLogAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// SyncLog is the per-record sync log over DynamoDB (SYNC_LOG_TABLE): the
// delivery.Journal of the sync functions and the reader of `profilesync
// log`. Entries expire after the retention through the table's TTL.
type SyncLog struct {
	client    SyncLogAPI
	table     string
	retention time.Duration
	now       func() time.Time
	// pause waits between retries of unprocessed items.
	pause func(ctx context.Context, round int) error
}

var _ delivery.Journal = (*SyncLog)(nil)

// SyncLogOption configures NewSyncLog.
type SyncLogOption func(*SyncLog)

// WithSyncLogClock replaces time.Now (which sets expires_at), for tests.
func WithSyncLogClock(now func() time.Time) SyncLogOption {
	return func(l *SyncLog) { l.now = now }
}

// NewSyncLog returns the sync log in table, keeping entries for retention
// (0: delivery.DefaultLogRetention).
func NewSyncLog(client SyncLogAPI, table string, retention time.Duration, opts ...SyncLogOption) *SyncLog {
	if retention <= 0 {
		retention = delivery.DefaultLogRetention
	}
	l := &SyncLog{client: client, table: table, retention: retention, now: time.Now, pause: backoffPause}
	for _, o := range opts {
		o(l)
	}
	return l
}

// backoffPause waits 50 ms, 100 ms, 200 ms, ... as AWS advises for
// unprocessed items.
func backoffPause(ctx context.Context, round int) error {
	t := time.NewTimer(50 * time.Millisecond << round)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Record implements delivery.Journal: BatchWriteItem in chunks of 25,
// retrying the items DynamoDB leaves unprocessed (throttling) with a
// backoff.
func (l *SyncLog) Record(ctx context.Context, es []delivery.Entry) error {
	expires := strconv.FormatInt(l.now().Add(l.retention).Unix(), 10)
	var errs []error
	var items []map[string]types.AttributeValue
	var ers []delivery.Erasure
	for _, e := range es {
		item, err := syncLogItem(e, expires)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, item)
		if er, ok := delivery.ErasureOf(e); ok {
			ers = append(ers, er)
		}
	}
	items = lastPerKey(items)
	for from := 0; from < len(items); from += syncLogBatch {
		chunk := items[from:min(from+syncLogBatch, len(items))]
		reqs := make([]types.WriteRequest, 0, len(chunk))
		for _, item := range chunk {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		if err := l.write(ctx, reqs); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, l.settle(ctx, ers)) // erasure.go
	return errors.Join(errs...)
}

// lastPerKey keeps the last item of each key: BatchWriteItem refuses a
// request that names one key twice.
func lastPerKey(items []map[string]types.AttributeValue) []map[string]types.AttributeValue {
	key := func(item map[string]types.AttributeValue) string {
		return item[syncLogAttrPK].(*types.AttributeValueMemberS).Value + "\x00" + item[syncLogAttrSK].(*types.AttributeValueMemberS).Value
	}
	last := make(map[string]int, len(items))
	for i, item := range items {
		last[key(item)] = i
	}
	out := items[:0:0]
	for i, item := range items {
		if last[key(item)] == i {
			out = append(out, item)
		}
	}
	return out
}

// erasureItem is a ledger item: the subject's partition, no expiry.
func erasureItem(e delivery.Erasure) (map[string]types.AttributeValue, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	return map[string]types.AttributeValue{
		syncLogAttrPK:     &types.AttributeValueMemberS{Value: e.Subject},
		syncLogAttrSK:     &types.AttributeValueMemberS{Value: syncLogLedger + e.Target + "#" + e.EventID},
		syncLogAttrTarget: &types.AttributeValueMemberS{Value: e.Target},
		syncLogAttrEntry:  &types.AttributeValueMemberS{Value: string(b)},
	}, nil
}

// Erasures returns subject's erasures, oldest request first, for one
// target or (target "") all.
func (l *SyncLog) Erasures(ctx context.Context, subject, target string) ([]delivery.Erasure, error) {
	prefix := syncLogLedger
	if target != "" {
		prefix += target + "#"
	}
	in := &dynamodb.QueryInput{
		TableName:                 awssdk.String(l.table),
		KeyConditionExpression:    awssdk.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": syncLogAttrPK, "#sk": syncLogAttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: subject}, ":prefix": &types.AttributeValueMemberS{Value: prefix}},
	}
	var out []delivery.Erasure
	for {
		res, err := l.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list erasures: %w", err)
		}
		for _, item := range res.Items {
			s, ok := item[syncLogAttrEntry].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			var e delivery.Erasure
			if err := json.Unmarshal([]byte(s.Value), &e); err != nil {
				return nil, fmt.Errorf("list erasures: %w", err)
			}
			out = append(out, e)
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RequestedAt.Before(out[j].RequestedAt) })
	return out, nil
}

// write sends one chunk, then what came back unprocessed, a few rounds.
func (l *SyncLog) write(ctx context.Context, reqs []types.WriteRequest) error {
	for round := 0; len(reqs) > 0; round++ {
		if round == syncLogRounds {
			return fmt.Errorf("sync log: %d entries left unprocessed after %d rounds", len(reqs), round)
		}
		if round > 0 {
			if err := l.pause(ctx, round-1); err != nil {
				return fmt.Errorf("sync log: %w", err)
			}
		}
		out, err := l.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{l.table: reqs},
		})
		if err != nil {
			return fmt.Errorf("sync log: write %d entries: %w", len(reqs), err)
		}
		reqs = out.UnprocessedItems[l.table]
	}
	return nil
}

func syncLogItem(e delivery.Entry, expires string) (map[string]types.AttributeValue, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("sync log entry: %w", err)
	}
	pk := e.Subject
	if pk == "" {
		pk = syncLogNoSubject
	}
	id := e.EventID
	if id == "" {
		id = "message-" + e.MessageID
	}
	// The message id keeps two receives of one event apart.
	sk := e.At.UTC().Format(syncLogTime) + "#" + e.Target + "#" + id + "#" + e.MessageID
	return map[string]types.AttributeValue{
		syncLogAttrPK:      &types.AttributeValueMemberS{Value: pk},
		syncLogAttrSK:      &types.AttributeValueMemberS{Value: sk},
		syncLogAttrHour:    &types.AttributeValueMemberS{Value: syncLogHourKey(e.At, sk)},
		syncLogAttrTarget:  &types.AttributeValueMemberS{Value: e.Target},
		syncLogAttrEntry:   &types.AttributeValueMemberS{Value: string(b)},
		syncLogAttrExpires: &types.AttributeValueMemberN{Value: expires},
	}, nil
}

// List returns subject's last limit entries (0: all), for one target or
// (target "") all, oldest first. DynamoDB's TTL deletes within days of
// expiry, so entries past it are left out here.
func (l *SyncLog) List(ctx context.Context, subject, target string, limit int) ([]delivery.Entry, error) {
	in := &dynamodb.QueryInput{
		TableName:                awssdk.String(l.table),
		KeyConditionExpression:   awssdk.String("#pk = :pk AND #sk < :ledger"),
		FilterExpression:         awssdk.String("#exp >= :now"),
		ExpressionAttributeNames: map[string]string{"#pk": syncLogAttrPK, "#sk": syncLogAttrSK, "#exp": syncLogAttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: subject},
			":ledger": &types.AttributeValueMemberS{Value: syncLogLedger}, ":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(l.now().Unix(), 10)}},
		ScanIndexForward: awssdk.Bool(false), // newest first, so a limit keeps the last ones
	}
	if target != "" {
		*in.FilterExpression += " AND #t = :t"
		in.ExpressionAttributeNames["#t"] = syncLogAttrTarget
		in.ExpressionAttributeValues[":t"] = &types.AttributeValueMemberS{Value: target}
	}
	var out []delivery.Entry
	for {
		res, err := l.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list sync log: %w", err)
		}
		for _, item := range res.Items {
			s, ok := item[syncLogAttrEntry].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			var e delivery.Entry
			if err := json.Unmarshal([]byte(s.Value), &e); err != nil {
				return nil, fmt.Errorf("list sync log: %w", err)
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		if len(res.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
