package devstack

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/local"
)

// A CIAM's delete enters the erasure ledger at the ingress: pending for
// every target before any sync function has seen it (the ingress invoked
// alone, no poller running), then confirmed once the stack delivers. A
// create writes no ledger row.
func TestWebhookDeleteIsPendingBeforeDelivery(t *testing.T) {
	dir := t.TempDir()
	at := time.Now().Add(-time.Minute)
	invoke := func(eventtype string, at time.Time) {
		t.Helper()
		res, err := Invoke(context.Background(), InvokeOptions{Function: "IngressFunction", DataDir: dir, Log: invokeLog(),
			Event: invokeAPIEvent(t, "cidaas", []byte(cidaasBody(eventtype, janeSub, at)), time.Now(), true)})
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(res.Response, &resp); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %s, %v", eventtype, res.Response, err)
		}
	}
	ledger := func() []delivery.Erasure {
		t.Helper()
		db, err := local.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		es, err := local.NewSyncLog(db, 0).Erasures(context.Background(), janeSub, "")
		if err != nil {
			t.Fatal(err)
		}
		return es
	}

	invoke("ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", at)
	if es := ledger(); len(es) != 0 {
		t.Fatalf("a create opened erasures: %+v", es)
	}
	invoke("ACCOUNT_DELETED", at.Add(time.Second))
	es := ledger()
	var targets []string
	for _, e := range es {
		targets = append(targets, e.Target)
		if e.Status != delivery.ErasurePending || !e.RequestedAt.Equal(at.Add(time.Second).Truncate(time.Millisecond)) {
			t.Errorf("before delivery: %+v", e)
		}
	}
	if slices.Sort(targets); !slices.Equal(targets, []string{"salesforce", "webhook"}) {
		t.Fatalf("pending for %v, want salesforce and webhook", targets)
	}
	if n := invokeQueued(t, dir, "salesforce"); n != 2 {
		t.Fatalf("salesforce queue holds %d, want the create and the delete", n)
	}

	s := startStackIn(t, dir)
	eventually(t, "every erasure confirmed", func() bool {
		es, err := local.NewSyncLog(s.DB, 0).Erasures(context.Background(), janeSub, "")
		if err != nil || len(es) != 2 {
			return false
		}
		for _, e := range es {
			if e.Status != delivery.ErasureConfirmed {
				return false
			}
		}
		return true
	})
}
