package samgen_test

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
)

// The ingress opens erasures in the sync log's table: it is given the
// table and may PutItem there, and nothing more of it (no read, no batch,
// no key). The Cognito trigger, which takes no deletes, is given neither.
func TestIngressWritesTheErasureLedgerOnly(t *testing.T) {
	tpl, err := samtemplate.Decode(committedTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	res := tpl["Resources"].(map[string]any)
	fn := js(res["IngressFunction"])
	for _, want := range []string{`"SYNC_LOG_TABLE":{"Ref":"SyncLogTable"}`,
		`{"Action":"dynamodb:PutItem","Effect":"Allow","Resource":{"Fn::GetAtt":["SyncLogTable","Arn"]}}`} {
		if !strings.Contains(fn, want) {
			t.Errorf("IngressFunction lacks %s", want)
		}
	}
	if n := strings.Count(fn, "SyncLogTable"); n != 2 {
		t.Errorf("IngressFunction names the sync log %d times, want its env var and its put statement: %s", n, fn)
	}
	if strings.Contains(fn, "SyncLogKeySecret") || strings.Contains(fn, "dynamodb:Query") || strings.Contains(fn, "BatchWriteItem") {
		t.Errorf("IngressFunction reads the log or its key, or batches: %s", fn)
	}
	if c := js(res["CognitoTriggerFunction"]); strings.Contains(c, "SyncLogTable") {
		t.Errorf("CognitoTriggerFunction names the sync log: %s", c)
	}
}
