package awsadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// The sync log's time index (template.yaml, SyncLogTable's GSI): every
// entry carries an hour attribute, "<hour>#<shard>" (2026-12-02T21#5),
// and the index sorts an hour's entries by the table's sk, which starts
// with the entry's time. The export reads an hour with one Query per
// shard instead of scanning the table.
//
// Why shards: an unsharded index would take every write of an hour in one
// partition. A GSI partition accepts about 1,000 writes a second, and a
// throttled GSI throttles the table's own writes, so a busy hour (a
// reconcile queueing a million profiles) would slow the deliveries
// themselves. The shard is a hash of the item's key: SyncLogShards
// partitions share the hour's writes, and reading an hour costs
// SyncLogShards queries.
const (
	SyncLogIndex    = "by-hour"
	syncLogAttrHour = "hour"
	// SyncLogShards is how many partitions an hour's entries spread over.
	// Changing it leaves entries written before under the old shards.
	SyncLogShards = 8
	syncLogHour   = "2006-01-02T15"
)

// syncLogHourKey is the index's partition key of an item whose sk is sk,
// written at.
func syncLogHourKey(at time.Time, sk string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(sk))
	return at.UTC().Format(syncLogHour) + "#" + strconv.Itoa(int(h.Sum32()%SyncLogShards))
}

// Window calls fn with every entry whose time is in [since, until), in
// time order, whatever its subject or target: the sync-log export's read.
// Each hour of the window is read from the time index, its shards merged
// in memory (an hour of entries, ids and hashes only). The index is
// eventually consistent: read an hour some minutes after it ends. Entries
// written before the index existed have no hour and are not found here.
func (l *SyncLog) Window(ctx context.Context, since, until time.Time, fn func(delivery.Entry) error) error {
	return SyncLogWindow{client: l.client, table: l.table}.Window(ctx, since, until, fn)
}

// Window is (*SyncLog).Window.
func (w SyncLogWindow) Window(ctx context.Context, since, until time.Time, fn func(delivery.Entry) error) error {
	since, until = since.UTC(), until.UTC()
	lo, hi := since.Format(syncLogTime), until.Format(syncLogTime)
	for hour := since.Truncate(time.Hour); hour.Before(until); hour = hour.Add(time.Hour) {
		var items []syncLogRow
		for shard := range SyncLogShards {
			got, err := w.queryHour(ctx, hour.Format(syncLogHour)+"#"+strconv.Itoa(shard), lo, hi)
			if err != nil {
				return err
			}
			items = append(items, got...)
		}
		// sk is time#target#event#message: the entries' order, and the
		// same from run to run.
		// (sort.Slice, not a slices.SortFunc of its own: the generic sort
		// instantiated for this one type was 6 KB of the jobs binary.)
		sort.Slice(items, func(i, j int) bool { return items[i].sk < items[j].sk })
		for _, it := range items {
			var e delivery.Entry
			if err := json.Unmarshal([]byte(it.entry), &e); err != nil {
				return fmt.Errorf("read sync log window: %w", err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

type syncLogRow struct{ sk, entry string }

// queryHour reads one shard of an hour between lo and hi. An entry at
// exactly hi has an sk of "hi#…", which sorts after hi: BETWEEN, which is
// inclusive, so keeps [lo, hi).
func (w SyncLogWindow) queryHour(ctx context.Context, key, lo, hi string) ([]syncLogRow, error) {
	in := &dynamodb.QueryInput{
		TableName:                awssdk.String(w.table),
		IndexName:                awssdk.String(SyncLogIndex),
		KeyConditionExpression:   awssdk.String("#h = :h AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#h": syncLogAttrHour, "#sk": syncLogAttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: key},
			":lo": &types.AttributeValueMemberS{Value: lo}, ":hi": &types.AttributeValueMemberS{Value: hi}},
	}
	var out []syncLogRow
	for {
		res, err := w.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read sync log window %s: %w", key, err)
		}
		for _, item := range res.Items {
			sk, _ := item[syncLogAttrSK].(*types.AttributeValueMemberS)
			entry, _ := item[syncLogAttrEntry].(*types.AttributeValueMemberS)
			if sk == nil || entry == nil {
				continue
			}
			out = append(out, syncLogRow{sk: sk.Value, entry: entry.Value})
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// SyncLogWindow is the sync log's time-window read alone, for the jobs
// function, which exports the log and writes none of it: a *SyncLog in
// an interface would link every one of its methods (a type's exported
// methods stay for reflection), some 75 KB of the jobs binary's 15 MB.
type SyncLogWindow struct {
	client SyncLogAPI
	table  string
}

// NewSyncLogWindow reads table's time index through client.
func NewSyncLogWindow(client SyncLogAPI, table string) SyncLogWindow {
	return SyncLogWindow{client: client, table: table}
}
