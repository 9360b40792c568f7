package lambdaenv_test

import (
	"log/slog"
	"testing"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
)

// SYNC_LOG_TABLE gives the ingress the erasure ledger; without it there
// is none.
func TestIngressOpensErasuresWhenSyncLogTableIsSet(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	awsEnv(t)
	t.Setenv("QUEUE_URLS", `{"salesforce":"https://sqs.eu-central-1.amazonaws.com/123456789012/sf",`+
		`"webhook":"https://sqs.eu-central-1.amazonaws.com/123456789012/wh","claims":"https://sqs.eu-central-1.amazonaws.com/123456789012/claims"}`)
	t.Setenv("SYNC_LOG_TABLE", "")
	p, err := lambdaenv.Ingress(log)
	if err != nil || p.Erasures != nil {
		t.Fatalf("without SYNC_LOG_TABLE: ledger %v, %v; want none", p.Erasures, err)
	}
	t.Setenv("SYNC_LOG_TABLE", "profilesync-synclog")
	if p, err = lambdaenv.Ingress(log); err != nil || p.Erasures == nil {
		t.Fatalf("with SYNC_LOG_TABLE: ledger %v, %v", p.Erasures, err)
	}
}
