package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/profilesync/profilesync/pkg/awsadapter"
)

// Against a deployed stack's parts (moto): log export --table reads the
// SyncLogTable through its by-hour index with the operator's
// credentials, and --to s3:// writes the synclog job's hourly objects;
// a run again replaces them.
func TestLogExportFromDynamoDBToS3(t *testing.T) {
	srv := motoForCLI(t)
	ctx := t.Context()
	cfg := srv.AWSConfig(ctx)
	table := "cli-synclog-export"
	_, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: awssdk.String(table), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("hour"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: dbtypes.KeyTypeRange}},
		GlobalSecondaryIndexes: []dbtypes.GlobalSecondaryIndex{{ // as template.yaml declares it
			IndexName: awssdk.String(awsadapter.SyncLogIndex),
			KeySchema: []dbtypes.KeySchemaElement{
				{AttributeName: awssdk.String("hour"), KeyType: dbtypes.KeyTypeHash},
				{AttributeName: awssdk.String("sk"), KeyType: dbtypes.KeyTypeRange}},
			Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeInclude, NonKeyAttributes: []string{"entry"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	es := exportEntries()
	if err := awsadapter.NewSyncLog(awsadapter.DynamoDBOf(dynamodb.NewFromConfig(cfg)), table, 0).Record(ctx, es); err != nil {
		t.Fatal(err)
	}
	sdk := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "cli-synclog-export"
	if _, err := sdk.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	h := exportHour
	since, until := h.Add(-time.Hour).Format(time.RFC3339), h.Add(2*time.Hour).Format(time.RFC3339)

	// One file of one target, to standard output, plain.
	out := mustRun(t, "log", "export", "--table", table, "--since", h.Format(time.RFC3339), "--until", h.Add(time.Hour).Format(time.RFC3339), "--target", "webhook")
	sameLines(t, "standard output", ndjsonLines(t, []byte(out)), inWindow(t, es, h, h.Add(time.Hour), "webhook"))

	for run := range 2 {
		r := runCLI(t, "log", "export", "--table", table, "--since", since, "--until", until, "--to", "s3://"+bucket+"/synclog")
		if r.code != 0 || !strings.Contains(r.stderr, "s3://"+bucket+"/synclog/2026/12/02/10.ndjson.gz  4 entries") ||
			!strings.Contains(r.stderr, "wrote 7 entries in 3 hourly files") {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		list, err := sdk.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list.Contents {
			keys = append(keys, *o.Key)
		}
		want := []string{"synclog/2026/12/02/09.ndjson.gz", "synclog/2026/12/02/10.ndjson.gz", "synclog/2026/12/02/11.ndjson.gz"}
		if !slices.Equal(keys, want) {
			t.Fatalf("run %d: objects %v, want %v", run, keys, want)
		}
		for i, key := range want {
			obj, err := sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			hour := h.Add(time.Duration(i-1) * time.Hour)
			sameLines(t, key, ndjsonLines(t, b), inWindow(t, es, hour, hour.Add(time.Hour), ""))
		}
	}
}
