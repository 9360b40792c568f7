package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	hssandbox "github.com/profilesync/profilesync/pkg/sandbox/hubspot"
)

func TestUpsertBatchMapsPerRecordResults(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("owner", map[string]any{"email": "taken@example.com"})); err != nil {
		t.Fatal(err)
	}
	rs := []connector.Record{
		rec("u-1", map[string]any{"firstname": "Ann"}),
		rec("u-2", map[string]any{"email": "taken@example.com"}),        // 207 CONFLICT
		rec("", map[string]any{"firstname": "Nobody"}),                  // refused before sending
		rec("u-1", map[string]any{"lastname": "Lee"}),                   // merged with rs[0]
		rec("u-3", map[string]any{"address": map[string]any{"x": "y"}}), // nested: refused
		rec("u-4", map[string]any{"FirstName": "not an internal name"}), // refused
		rec("owner", map[string]any{"firstname": "Own"}),
	}
	before := fake.Calls().Upsert
	res, errs := c.UpsertBatch(ctx, rs)
	if n := fake.Calls().Upsert - before; n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
	if errs[0] != nil || errs[3] != nil || !res[0].Created || res[0] != res[3] {
		t.Fatalf("merged u-1: %+v %v / %+v %v", res[0], errs[0], res[3], errs[3])
	}
	if fe := fault.As(errs[1]); fe.Class != fault.Permanent || fe.Code != "CONFLICT" {
		t.Fatalf("u-2 = %v, want permanent CONFLICT", errs[1])
	}
	for _, i := range []int{2, 4, 5} {
		if fault.ClassOf(errs[i]) != fault.Permanent {
			t.Fatalf("rs[%d] = %v, want permanent", i, errs[i])
		}
	}
	if errs[6] != nil || res[6].Created || res[6].ID == "" {
		t.Fatalf("owner = %+v %v, want an update", res[6], errs[6])
	}
	for _, r := range fake.Records() {
		if r.Properties[idProp] == "u-1" && (r.Properties["firstname"] != "Ann" || r.Properties["lastname"] != "Lee") {
			t.Fatalf("merged contact = %v", r.Properties)
		}
	}
}

func TestWholeBatchRefusalIsResentOneByOne(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	rs := []connector.Record{
		rec("u-1", map[string]any{"email": "a@example.com"}),
		rec("u-2", map[string]any{"email": "jane-at-example"}), // HubSpot refuses the whole batch for it
		rec("u-3", map[string]any{"email": "c@example.com"}),
	}
	_, errs := c.UpsertBatch(context.Background(), rs)
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("good records failed: %v", errs)
	}
	if fe := fault.As(errs[1]); fe.Class != fault.Permanent || fe.Code != "VALIDATION_ERROR" {
		t.Fatalf("bad record = %v", errs[1])
	}
	if n := fake.Calls().Upsert; n != 4 {
		t.Fatalf("%d calls, want 1 batch and 3 single resends", n)
	}
}

func TestWholeBatchThrottleFailsEveryRecord(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	fake.ThrottleNext(1, 10*time.Second)
	_, errs := c.UpsertBatch(context.Background(), []connector.Record{rec("u-1", nil), rec("u-2", nil), rec("u-3", nil)})
	for i, err := range errs {
		if fe := fault.As(err); fe == nil || fe.Class != fault.Throttled || fe.RetryAfter != 10*time.Second {
			t.Fatalf("errs[%d] = %v, want throttled for 10s", i, err)
		}
	}
	if n := fake.Calls().Upsert; n != 1 {
		t.Fatalf("%d calls, want 1 (no resend of a throttled batch)", n)
	}
}

// TestAPICallsPer1000Changes is the benchmark number: 1,000 changes
// take ceil(1000/100) = 10 batch calls, also when a few records fail alone.
func TestAPICallsPer1000Changes(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("owner", map[string]any{"email": "taken@example.com"})); err != nil {
		t.Fatal(err)
	}
	rs := make([]connector.Record, 1000)
	for i := range rs {
		fields := map[string]any{"firstname": fmt.Sprint("N", i), "email": fmt.Sprintf("u%d@example.com", i)}
		if i%250 == 7 {
			fields["email"] = "taken@example.com" // 4 per-record conflicts
		}
		rs[i] = rec(fmt.Sprintf("u-%d", i), fields)
	}
	before := fake.Calls().Upsert
	// The sync handler hands the connector at most MaxBatch records a call.
	var failed int
	for start := 0; start < len(rs); start += c.MaxBatch() {
		_, errs := c.UpsertBatch(ctx, rs[start:min(start+c.MaxBatch(), len(rs))])
		for _, err := range errs {
			if err != nil {
				failed++
				if fault.As(err).Code != "CONFLICT" {
					t.Fatalf("unexpected failure: %v", err)
				}
			}
		}
	}
	calls := fake.Calls().Upsert - before
	t.Logf("HubSpot batch upsert: %d API calls per 1,000 changes (goal 10), %d per-record failures", calls, failed)
	if calls != 10 || failed != 4 {
		t.Fatalf("calls = %d, failed = %d; want 10 and 4", calls, failed)
	}
	if n := len(fake.Records()); n != 997 {
		t.Fatalf("%d contacts, want 997", n)
	}
}

func BenchmarkUpsertBatch1000(b *testing.B) {
	fake := hssandbox.NewFake(testToken, idProp)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := New("hs", Settings{IDProperty: idProp, DeleteMode: DeleteArchive}, Credentials{AccessToken: testToken, BaseURL: srv.URL}, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	rs := make([]connector.Record, 1000)
	for i := range rs {
		rs[i] = rec(fmt.Sprintf("u-%d", i), map[string]any{"firstname": "N"})
	}
	before := fake.Calls().Upsert
	for b.Loop() {
		if _, errs := c.UpsertBatch(context.Background(), rs); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
	b.ReportMetric(float64(fake.Calls().Upsert-before)/float64(b.N), "calls/1000changes")
}

// TestResultsWithoutTraceIDs checks the fallbacks for answers that echo no
// objectWriteTraceId: results by the id property's value, errors by
// context.ids, and a Transient error for an input left unmentioned.
func TestResultsWithoutTraceIDs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMultiStatus)
		fmt.Fprint(w, `{"status":"COMPLETE","results":[
			{"id":"902","new":false,"properties":{"profilesync_id":"u-2"}},
			{"id":"901","new":true,"properties":{"profilesync_id":"u-1"}}],
		  "numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid","context":{"ids":["u-3"]}}]}`)
	}))
	defer srv.Close()
	c, err := New("hs", Settings{IDProperty: idProp, DeleteMode: DeleteArchive}, Credentials{AccessToken: "t", BaseURL: srv.URL}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	res, errs := c.UpsertBatch(context.Background(), []connector.Record{rec("u-1", nil), rec("u-2", nil), rec("u-3", nil), rec("u-4", nil)})
	if res[0] != (connector.Result{ID: "901", Created: true}) || res[1] != (connector.Result{ID: "902"}) || errs[0] != nil || errs[1] != nil {
		t.Fatalf("results = %+v, errs = %v", res, errs)
	}
	if fault.ClassOf(errs[2]) != fault.Permanent || fault.ClassOf(errs[3]) != fault.Transient {
		t.Fatalf("errs = %v; want u-3 permanent and u-4 transient", errs)
	}
}
