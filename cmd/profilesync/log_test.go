package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

const jane = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b" // the cidaas samples' subject

// log tells the quickstart's story per target: created, updated with the
// field that changed, skipped unchanged, deleted, with values hashed or
// masked as the mappings say and no raw personal data.
func TestLogTellsTheQuickstartStory(t *testing.T) {
	s, dir := startStack(t)
	for _, f := range []string{"cidaas-account-created.json", "cidaas-account-modified.json", "cidaas-account-deleted.json"} {
		mustRun(t, "send", "cidaas", samples+f, "--url", s.URL, "--data", dir)
	}
	out := mustRun(t, "log", jane, "--data", dir)
	for _, re := range []string{
		`(?m)^\S+Z  salesforce +created +created, record 003\S+\n(    .*\n)*    Email: \(none\) → \S\*\*\*@\S\*\*\*\.\S+$`,
		`(?m)^\S+Z  salesforce +updated +updated, record 003\S+\n(    .*\n)*    MailingCity: h:[0-9a-f]{12} → h:[0-9a-f]{12}$`,
		`(?m)^\S+Z  webhook +updated +skipped: no mapped field changed, record c-1$`,
		`(?m)^\S+Z  salesforce +deleted +deleted, record 003\S+\n(    .*\n)*    MailingCity: h:[0-9a-f]{12} → \(none\)$`,
		`(?m)^    LeadSource: \(none\) → ProfileSync$`, // plain, as the mapping says
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no match for %s in:\n%s", re, out)
		}
	}
	for _, raw := range []string{"jane.doe@example.com", "Hamburg", "Jane"} {
		if strings.Contains(out, raw) {
			t.Errorf("log shows %q:\n%s", raw, out)
		}
	}

	only := mustRun(t, "log", jane, "--data", dir, "--target", "webhook", "--limit", "2", "--output", "json")
	var doc struct {
		Entries  []map[string]any `json:"entries"`
		Erasures []map[string]any `json:"erasures"`
	}
	if err := json.Unmarshal([]byte(only), &doc); err != nil || len(doc.Entries) != 2 {
		t.Fatalf("log --output json: %v\n%s", err, only)
	}
	es := doc.Entries
	if len(doc.Erasures) != 1 || doc.Erasures[0]["status"] != "confirmed" || doc.Erasures[0]["target"] != "webhook" {
		t.Errorf("the webhook's erasure: %v", doc.Erasures)
	}
	if es[0]["target"] != "webhook" || es[0]["outcome"] != "skipped_unchanged" || es[1]["outcome"] != "deleted" || es[1]["event_type"] != "deleted" {
		t.Errorf("the last two webhook entries: %v", es)
	}
	if ch, _ := es[1]["changes"].([]any); len(ch) == 0 {
		t.Errorf("the delete's entry has no changes: %v", es[1])
	}
	if out := mustRun(t, "log", "nobody", "--data", dir); out != "no sync log entries for nobody\n" {
		t.Errorf("unknown subject: %q", out)
	}
}

// With --table, log reads the deployed SyncLogTable (moto here) with the
// operator's credentials: entries and the erasure ledger.
func TestLogOnDynamoDB(t *testing.T) {
	srv := motoForCLI(t)
	ctx := t.Context()
	client := dynamodb.NewFromConfig(srv.AWSConfig(ctx))
	table := "cli-synclog"
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: awssdk.String(table), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: dbtypes.KeyTypeRange}},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = awsadapter.NewSyncLog(awsadapter.DynamoDBOf(client), table, 0).Record(ctx, []delivery.Entry{
		{Target: "salesforce", Subject: jane, EventID: "e1", EventType: "updated", Outcome: delivery.Delivered, RecordID: "003x", At: now,
			Changes: []delivery.Change{{Field: "Email", Old: "j***@e***.com", New: "j***@e***.org"}}},
		{Target: "salesforce", Subject: jane, EventID: "e2", EventType: "deleted", Outcome: delivery.Deleted, RecordID: "003x", At: now.Add(time.Second), EventAt: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "log", jane, "--table", table)
	for _, re := range []string{
		`(?m)^\S+Z  salesforce +updated +updated, record 003x\n    Email: j\*\*\*@e\*\*\*\.com → j\*\*\*@e\*\*\*\.org$`,
		`(?m)^\S+Z  salesforce +deleted +deleted, record 003x$`,
		`(?m)^  \S+Z  salesforce +confirmed \S+Z  \(event e2\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no match for %s in:\n%s", re, out)
		}
	}
}
