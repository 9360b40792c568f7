package awsadapter_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/synclogjob"
)

// windowEntries are entries around the hour of 10:00 on a day: on both
// of its edges, inside it, and in the hours beside it, for two subjects
// and two targets, plus one undecodable message's.
func windowEntries(h time.Time) []delivery.Entry {
	at := []time.Duration{-time.Nanosecond, 0, time.Millisecond, 30 * time.Minute, time.Hour - time.Nanosecond, time.Hour, time.Hour + time.Second}
	var es []delivery.Entry
	for i, d := range at {
		for _, subject := range []string{"u-1", "u-2"} {
			es = append(es, delivery.Entry{Target: []string{"crm", "mailer"}[i%2], Subject: subject, EventID: fmt.Sprintf("e%d-%s", i, subject),
				EventType: "updated", MessageID: fmt.Sprintf("m%d", i), Outcome: delivery.Delivered, At: h.Add(d), EventAt: h.Add(d - time.Second),
				Changes: []delivery.Change{{Field: "Email", Old: "h:3fa29c0e1b2d", New: "j***@e***.com"}}})
		}
	}
	return append(es, delivery.Entry{Target: "crm", MessageID: "m-bad", Outcome: delivery.Abandon, Reason: "undecodable", At: h.Add(20 * time.Minute)})
}

// The time index reads a window with queries, in time order; an entry on
// an edge is in exactly one of two adjacent windows; the ledger's items
// are not entries.
func TestSyncLogWindowOnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	ctx := ctxFor(t)
	h := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l := paws.NewSyncLog(paws.DynamoDBOf(client), table, 0)
	es := windowEntries(h)
	if err := l.Record(ctx, es); err != nil {
		t.Fatal(err)
	}
	if err := l.Open(ctx, []delivery.Erasure{{Subject: "u-1", Target: "crm", EventID: "erase-1", RequestedAt: h.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	read := func(since, until time.Time) []delivery.Entry {
		t.Helper()
		var got []delivery.Entry
		if err := l.Window(ctx, since, until, func(e delivery.Entry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	seen := map[string]int{}
	for _, w := range [][2]time.Time{{h.Add(-time.Hour), h}, {h, h.Add(time.Hour)}, {h.Add(time.Hour), h.Add(2 * time.Hour)}} {
		got := read(w[0], w[1])
		for i, e := range got {
			if e.At.Before(w[0]) || !e.At.Before(w[1]) {
				t.Errorf("window %s–%s has an entry at %s", w[0].Format(time.RFC3339Nano), w[1].Format(time.RFC3339Nano), e.At.Format(time.RFC3339Nano))
			}
			if i > 0 && e.At.Before(got[i-1].At) {
				t.Errorf("window not in time order at %d", i)
			}
			seen[e.EventID+e.MessageID]++
		}
	}
	for _, e := range es {
		if seen[e.EventID+e.MessageID] != 1 {
			t.Errorf("entry %s at %s read %d times, want once", e.EventID+e.MessageID, e.At.Format(time.RFC3339Nano), seen[e.EventID+e.MessageID])
		}
	}
	// The hour: its first instant, not its end; entries round-trip whole.
	hour := read(h, h.Add(time.Hour))
	if len(hour) != 9 || !hour[0].At.Equal(h) || !hour[8].At.Equal(h.Add(time.Hour-time.Nanosecond)) {
		t.Fatalf("hour of %d entries, from %v to %v", len(hour), hour[0].At, hour[len(hour)-1].At)
	}
	if want := es[2]; !reflect.DeepEqual(hour[0], want) && !reflect.DeepEqual(hour[1], want) {
		t.Errorf("entry did not round-trip: %+v, want %+v", hour[:2], want)
	}
	// Within an hour too.
	if got := read(h.Add(time.Millisecond), h.Add(30*time.Minute)); len(got) != 3 { // two at 1ms, the undecodable at 20m
		t.Errorf("10:00:00.001–10:30 read %d entries, want 3", len(got))
	}
	// Across an hour's edge, off the hour on both ends: 09:59:59.999999999
	// and 10:00 (two each), 10:00:00.001 (two), the undecodable at 10:20;
	// 10:30 is the end, not in it.
	across := read(h.Add(-30*time.Minute), h.Add(30*time.Minute))
	if len(across) != 7 || !across[0].At.Equal(h.Add(-time.Nanosecond)) || !across[6].At.Equal(h.Add(20*time.Minute)) {
		t.Errorf("09:30–10:30 read %d entries: %+v, want 7 from 09:59:59.999999999 to 10:20", len(across), across)
	}
	// The hour's writes spread over shards.
	shards := map[string]bool{}
	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: awssdk.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range out.Items {
		if v, ok := item["hour"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(v.Value, "2026-12-02T10#") {
			shards[v.Value] = true
		}
	}
	if len(shards) < 2 {
		t.Errorf("an hour's 9 entries went to %d shard(s): %v", len(shards), shards)
	}
}

// The template declares the index the reader queries.
func TestTemplateHasTheSyncLogIndex(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IndexName: " + paws.SyncLogIndex, "- AttributeName: hour", "${SyncLogTable.Arn}/index/" + paws.SyncLogIndex} {
		if !strings.Contains(string(b), want) {
			t.Errorf("template.yaml lacks %q", want)
		}
	}
}

// A synclog job on AWS: DynamoDB's index read, each whole hour an NDJSON
// object in S3 under a fixed key; a run again catches up and a re-run of
// an hour replaces it. The lines parse back into the entries, and no raw
// personal data is in the bytes.
func TestSyncLogExportToS3OnMoto(t *testing.T) {
	client, table := newSyncLogTable(t)
	srv := moto.Start(t)
	ctx := ctxFor(t)
	h := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l := paws.NewSyncLog(paws.DynamoDBOf(client), table, 0)
	es := windowEntries(h)
	es[2].Changes = append(es[2].Changes, delivery.Change{Field: "Phone", Old: "h:0a1b2c3d4e5f", New: "+49 *** ** 67"})
	if err := l.Record(ctx, es); err != nil {
		t.Fatal(err)
	}
	sdk := s3.NewFromConfig(srv.AWSConfig(ctx), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "synclog-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if _, err := sdk.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	store, err := paws.NewObjectStore(srv.AWSConfig(ctx))
	if err != nil {
		t.Fatal(err)
	}
	dest, err := s3dest.New(store, s3dest.Config{Bucket: bucket, Prefix: "synclog/"})
	if err != nil {
		t.Fatal(err)
	}
	cps := jobs.NewMemoryCheckpoints()
	now := h.Add(time.Hour + 10*time.Minute) // 11:10: the hour of 10 is due
	x := &synclogjob.Exporter{Log: l, Dest: dest, Format: synclogjob.Format(true, ""), Checkpoints: cps, Now: func() time.Time { return now }}
	j := &jobs.Job{Name: "synclog", Kind: jobs.KindSyncLog}
	res, err := x.Run(ctx, j)
	if err != nil || !res.Done || res.Segments != 1 || res.Rows != 9 {
		t.Fatalf("first run: %+v, %v; want the hour of 10, 9 entries", res, err)
	}
	get := func(key string) []byte {
		t.Helper()
		obj, err := sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		defer obj.Body.Close()
		b, _ := io.ReadAll(obj.Body)
		return b
	}
	raw := get("synclog/2026/12/02/10.ndjson.gz")
	lines := gunzipLines(t, raw)
	var want []delivery.Entry
	for _, e := range es {
		if !e.At.Before(h) && e.At.Before(h.Add(time.Hour)) {
			want = append(want, e)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	got := map[string]delivery.Entry{}
	for _, line := range lines {
		var e delivery.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[e.EventID+e.MessageID] = e
		// The shape log --output json prints: omitempty, nothing added.
		if b, _ := json.Marshal(e); string(b) != line {
			t.Errorf("line %s\nis not the entry's JSON %s", line, b)
		}
	}
	for _, e := range want {
		if !reflect.DeepEqual(got[e.EventID+e.MessageID], e) {
			t.Errorf("entry %s: got %+v, want %+v", e.EventID, got[e.EventID+e.MessageID], e)
		}
	}
	plain := string(gunzip(t, raw))
	for _, pii := range []string{"jane", "@example", "+4917", "Doe"} {
		if strings.Contains(strings.ToLower(plain), strings.ToLower(pii)) {
			t.Errorf("export holds %q", pii)
		}
	}
	// Two hours later, the run catches up the hours of 11 and 12 (12:00:00
	// is the 11-o'clock file's end, not in it).
	now = h.Add(3*time.Hour + 10*time.Minute)
	res, err = x.Run(ctx, j)
	if err != nil || res.Segments != 2 || res.Rows != 4 {
		t.Fatalf("catch-up run: %+v, %v; want 2 hours, 4 entries", res, err)
	}
	if n := len(gunzipLines(t, get("synclog/2026/12/02/11.ndjson.gz"))); n != 4 {
		t.Errorf("hour of 11: %d lines, want 4", n)
	}
	if n := len(gunzipLines(t, get("synclog/2026/12/02/12.ndjson.gz"))); n != 0 {
		t.Errorf("hour of 12: %d lines, want an empty file", n)
	}
	// A backfill of the hour of 10 replaces its object: one key, same lines.
	if err := synclogjob.WriteHours(ctx, l, dest, synclogjob.Format(true, ""), h, h.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	list, err := sdk.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: awssdk.String("synclog/2026/12/02/10")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("objects of the hour of 10: %v, %v", list, err)
	}
	if again := gunzipLines(t, get("synclog/2026/12/02/10.ndjson.gz")); strings.Join(again, "\n") != strings.Join(lines, "\n") {
		t.Errorf("re-run wrote other lines:\n%s\nwant\n%s", strings.Join(again, "\n"), strings.Join(lines, "\n"))
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func gunzipLines(t *testing.T, b []byte) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(gunzip(t, b)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}
