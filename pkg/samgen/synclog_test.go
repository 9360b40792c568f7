package samgen_test

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// The committed template has the sync log's table (TTL, PITR, SSE) and
// key, and every sync function writes to it and nothing more.
func TestSyncLogInTemplate(t *testing.T) {
	tpl, err := samtemplate.Decode(committedTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	res := tpl["Resources"].(map[string]any)
	table := js(res["SyncLogTable"])
	for _, want := range []string{`"TimeToLiveSpecification":{"AttributeName":"expires_at","Enabled":true}`,
		`"PointInTimeRecoveryEnabled":true`, `"SSEEnabled":true`, `"AttributeName":"pk","KeyType":"HASH"`} {
		if !strings.Contains(table, want) {
			t.Errorf("SyncLogTable lacks %s: %s", want, table)
		}
	}
	if key := js(res["SyncLogKeySecret"]); !strings.Contains(key, `"GenerateStringKey":"key"`) {
		t.Errorf("SyncLogKeySecret = %s", key)
	}
	if tpl["Parameters"].(map[string]any)["SyncLogRetentionDays"] == nil {
		t.Error("no SyncLogRetentionDays parameter")
	}
	for _, id := range []string{"SalesforceSyncFunction", "WebhookSyncFunction"} {
		fn := js(res[id])
		for _, want := range []string{`"SYNC_LOG_TABLE":{"Ref":"SyncLogTable"}`, `"SYNC_LOG_RETENTION_DAYS":{"Ref":"SyncLogRetentionDays"}`,
			`\"sync-log\":\"${SyncLogKeySecret}\"`, `{"SecretArn":{"Ref":"SyncLogKeySecret"}}`,
			`{"Action":["dynamodb:BatchWriteItem","dynamodb:PutItem"],"Effect":"Allow","Resource":{"Fn::GetAtt":["SyncLogTable","Arn"]}}`} {
			if !strings.Contains(fn, want) {
				t.Errorf("%s lacks %s", id, want)
			}
		}
		if strings.Count(fn, "SyncLogTable") != 2 {
			t.Errorf("%s names the sync log beyond its env var and its write statement: %s", id, fn)
		}
	}
}

func TestSyncLogSecretNameMatchesWiring(t *testing.T) {
	if samgen.SyncLogSecret != wiring.SyncLogSecret {
		t.Errorf("samgen %q, wiring %q", samgen.SyncLogSecret, wiring.SyncLogSecret)
	}
}

// A target's secret may not take the sync-log key's name in SECRET_ARNS.
func TestTargetSecretCannotBeTheSyncLogKey(t *testing.T) {
	m, err := mapping.Parse("crm.yaml", []byte("version: 1\nconnector: generic\nsecret: sync-log\nevents: [created]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = samgen.Generate(committedTemplate(t), mapping.NewSet(m), samgen.Options{})
	if err == nil || !strings.Contains(err.Error(), "sync log's key") {
		t.Errorf("err = %v", err)
	}
}
