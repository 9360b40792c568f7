package salesforce

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

// records returns n records u-0 … u-(n-1) with a LastName.
func records(n int) []connector.Record {
	rs := make([]connector.Record, n)
	for i := range rs {
		rs[i] = rec(fmt.Sprintf("u-%d", i), map[string]any{"LastName": fmt.Sprintf("Name%d", i)})
	}
	return rs
}

func mustSucceed(t *testing.T, results []connector.Result, errs []error, n int, created bool) {
	t.Helper()
	if len(results) != n || len(errs) != n {
		t.Fatalf("got %d results and %d errors, want %d of each", len(results), len(errs), n)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
		if results[i].Created != created || len(results[i].ID) != 18 {
			t.Fatalf("record %d: result %+v, want created=%v with an id", i, results[i], created)
		}
	}
}

func TestUpsertBatchChunksInto200s(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	ctx := context.Background()
	if c.MaxBatch() != 200 {
		t.Fatalf("MaxBatch = %d", c.MaxBatch())
	}
	rs := records(450)
	results, errs := c.UpsertBatch(ctx, rs)
	mustSucceed(t, results, errs, 450, true)
	if got := fake.Calls(); got.Collections != 3 || got.CollectionRecords != 450 || got.Upsert != 0 || got.Token != 1 {
		t.Fatalf("calls = %+v, want 3 Collections calls carrying 450 records and one token", got)
	}
	stored := fake.Records("Contact")
	if len(stored) != 450 {
		t.Fatalf("%d records stored, want 450", len(stored))
	}
	byKey := map[string]map[string]any{}
	for _, r := range stored {
		byKey[r[extField].(string)] = r
	}
	for i, r := range rs {
		s := byKey[r.Key]
		if s == nil || s["LastName"] != r.Fields["LastName"] || s["Id"] != results[i].ID {
			t.Fatalf("record %s stored as %v, result %+v", r.Key, s, results[i])
		}
	}
	// The same keys again are updates of the same records.
	again, errs := c.UpsertBatch(ctx, rs)
	mustSucceed(t, again, errs, 450, false)
	if again[449].ID != results[449].ID || len(fake.Records("Contact")) != 450 {
		t.Fatal("the second batch did not update the records the first created")
	}
}

func TestUpsertBatchPerRecordFailures(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	fake.SetSchema("Contact", "LastName", "Email", extField)
	rs := records(10)
	fake.FailRecord("u-3", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")
	rs[5].Fields["Email"] = "jane@example.com"
	fake.FailRecord("u-5", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Email jane@example.com is on the block list")
	rs[7].Fields = map[string]any{"Email": "x@example.com"} // no LastName
	rs[8].Fields["Nickname__c"] = "Jay"                     // not in the schema
	rs[9].Fields["Id"] = "003bogus"                         // dropped, not refused
	want := map[int]struct {
		class fault.Class
		code  string
	}{
		3: {fault.Transient, "UNABLE_TO_LOCK_ROW"},
		5: {fault.Permanent, "FIELD_CUSTOM_VALIDATION_EXCEPTION"},
		7: {fault.Permanent, "REQUIRED_FIELD_MISSING"},
		8: {fault.Permanent, "INVALID_FIELD"},
	}
	results, errs := c.UpsertBatch(context.Background(), rs)
	for i := range rs {
		w, bad := want[i]
		if !bad {
			if errs[i] != nil || !results[i].Created {
				t.Errorf("record %d = %+v, %v; want created", i, results[i], errs[i])
			}
			continue
		}
		fe := fault.As(errs[i])
		if fe == nil || fe.Class != w.class || fe.Code != w.code || results[i] != (connector.Result{}) {
			t.Errorf("record %d = %+v, %v; want %v %s", i, results[i], errs[i], w.class, w.code)
		}
	}
	// Neither the sent email nor the key (personal data when a mapping
	// keys on email): errs[5] is record 5's error by its position.
	if msg := errs[5].Error(); strings.Contains(msg, "jane@example.com") || strings.Contains(msg, "u-5") {
		t.Errorf("error %q must quote neither the key nor the sent email", msg)
	}
	if n := len(fake.Records("Contact")); n != 6 {
		t.Errorf("%d records stored, want the 6 that succeeded", n)
	}
	if got := fake.Calls().Collections; got != 1 {
		t.Errorf("Collections calls = %d, want 1", got)
	}
	// Only the failed records go round again, and the lock has passed.
	retry := []connector.Record{rs[3]}
	if _, errs := c.UpsertBatch(context.Background(), retry); errs[0] != nil {
		t.Fatalf("retry of the locked record: %v", errs[0])
	}
}

func TestUpsertBatchRepeatedKeysGoToLaterCalls(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	rs := []connector.Record{
		rec("u-1", map[string]any{"LastName": "First"}),
		rec("u-2", map[string]any{"LastName": "Other"}),
		rec("U-1", map[string]any{"LastName": "Upper"}), // External IDs match case-insensitively
		rec("u-1", map[string]any{"LastName": "Last"}),
		rec("", map[string]any{"LastName": "Nobody"}),
	}
	results, errs := c.UpsertBatch(context.Background(), rs)
	for i := range 4 {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
	}
	if fault.ClassOf(errs[4]) != fault.Permanent || results[4] != (connector.Result{}) {
		t.Fatalf("record without a key = %+v, %v; want permanent", results[4], errs[4])
	}
	if got := fake.Calls().Collections; got != 3 {
		t.Fatalf("Collections calls = %d, want 3 (one per occurrence of u-1)", got)
	}
	// The fake matches External IDs exactly, so U-1 is its own record; in
	// a real org it would update u-1. Either way the order is kept.
	for _, r := range fake.Records("Contact") {
		if r[extField] == "u-1" && r["LastName"] != "Last" {
			t.Fatalf("u-1 = %v, want the last change applied last", r)
		}
	}
}

func TestUpsertBatchWholeCallFailures(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(*testing.T, *Client, *sfsandbox.Fake)
		n           int
		class       fault.Class
		code        string
		failed      int // records failing, from the first
		calls       int // Collections calls sent
		tokenCalls  int
		retryAfter  bool
		succeedRest bool
	}{
		{"session expired, refreshed once", expireAfterFirstCall,
			450, 0, "", 0, 4, 2, false, true},
		{"401 twice is auth, rest not sent", func(_ *testing.T, _ *Client, f *sfsandbox.Fake) { f.FailNext(5, 401, "INVALID_SESSION_ID") },
			450, fault.Auth, "INVALID_SESSION_ID", 450, 2, 2, false, false},
		{"request limit, rest not sent", func(_ *testing.T, _ *Client, f *sfsandbox.Fake) { f.ThrottleNext(1) },
			450, fault.Throttled, "REQUEST_LIMIT_EXCEEDED", 450, 1, 1, true, false},
		{"503 fails one call", func(_ *testing.T, _ *Client, f *sfsandbox.Fake) { f.FailNext(1, 503, "SERVER_UNAVAILABLE") },
			450, fault.Transient, "SERVER_UNAVAILABLE", 200, 3, 1, false, true},
		{"500", func(_ *testing.T, _ *Client, f *sfsandbox.Fake) { f.FailNext(1, 500, "UNKNOWN_EXCEPTION") },
			10, fault.Transient, "UNKNOWN_EXCEPTION", 10, 1, 1, false, true},
		{"400 malformed", func(_ *testing.T, _ *Client, f *sfsandbox.Fake) { f.FailNext(1, 400, "JSON_PARSER_ERROR") },
			250, fault.Permanent, "JSON_PARSER_ERROR", 200, 2, 1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, "v62.0")
			tt.setup(t, c, fake)
			_, errs := c.UpsertBatch(context.Background(), records(tt.n))
			for i, err := range errs {
				if i >= tt.failed {
					if err != nil && tt.succeedRest {
						t.Fatalf("record %d: %v", i, err)
					}
					continue
				}
				fe := fault.As(err)
				if fe == nil || fe.Class != tt.class || fe.Code != tt.code {
					t.Fatalf("record %d: %v, want %v %s", i, err, tt.class, tt.code)
				}
				if tt.retryAfter && fe.RetryAfter != LimitRetryAfter {
					t.Fatalf("record %d: RetryAfter %v", i, fe.RetryAfter)
				}
			}
			if got := fake.Calls(); got.Collections != tt.calls || got.Token != tt.tokenCalls {
				t.Fatalf("calls = %+v, want %d Collections calls and %d token calls", got, tt.calls, tt.tokenCalls)
			}
		})
	}
}

// expireAfterFirstCall upserts one record (fetching a token) and then
// expires every token, so the batch's first call answers 401.
func expireAfterFirstCall(t *testing.T, c *Client, f *sfsandbox.Fake) {
	if _, errs := c.UpsertBatch(context.Background(), records(1)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	f.ExpireTokens()
}

func TestUpsertBatchBeforeV46UpsertsOneByOne(t *testing.T) {
	c, fake, _ := newTestClient(t, "v45.0")
	results, errs := c.UpsertBatch(context.Background(), records(5))
	mustSucceed(t, results, errs, 5, true)
	if got := fake.Calls(); got.Collections != 0 || got.Upsert != 5 {
		t.Fatalf("calls = %+v, want 5 single upserts", got)
	}
}

func TestUpsertBatchNetworkError(t *testing.T) {
	c, _, srv := newTestClient(t, "v62.0")
	srv.Close()
	_, errs := c.UpsertBatch(context.Background(), records(3))
	for i, err := range errs {
		if fault.ClassOf(err) != fault.Transient {
			t.Fatalf("record %d: %v, want transient", i, err)
		}
	}
}

// TestAPICallsPer1000Changes is the benchmark number as a test:
// 1,000 changes take ceil(1000/200) = 5 Collections calls.
func TestAPICallsPer1000Changes(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	_, errs := c.UpsertBatch(context.Background(), records(1000))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	got := fake.Calls().Collections
	want := int(math.Ceil(1000.0 / MaxBatch))
	t.Logf("salesforce: %d API calls per 1,000 changes (goal %d), plus %d token call(s)", got, want, fake.Calls().Token)
	if got != want {
		t.Fatalf("API calls per 1,000 changes = %d, want %d", got, want)
	}
}

func BenchmarkUpsertBatch1000(b *testing.B) {
	c, fake, _ := newTestClient(b, "v62.0")
	rs := records(1000)
	before := fake.Calls().Collections
	for b.Loop() {
		if _, errs := c.UpsertBatch(context.Background(), rs); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
	b.ReportMetric(float64(fake.Calls().Collections-before)/float64(b.N), "calls/1000changes")
}

// TestUpsertBatchOddAnswers covers answers the fake does not give: fewer
// results than records, and a 200 without a result array.
func TestUpsertBatchOddAnswers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []fault.Class // per record; -1 for success
	}{
		{"short result array", `[{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"rolled back","fields":[]}]},{"id":"003000000000002AAA","success":true,"created":false,"errors":[]}]`,
			[]fault.Class{fault.Transient, -1, fault.Transient}},
		{"not an array", `{"oops":true}`, []fault.Class{fault.Transient, fault.Transient, fault.Transient}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/services/oauth2/token" {
					w.Write([]byte(`{"access_token":"t","instance_url":"http://` + r.Host + `"}`))
					return
				}
				if r.Method != http.MethodPatch || r.URL.Path != "/services/data/v62.0/composite/sobjects/Contact/"+extField {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := New("sf", Settings{"Contact", extField, "v62.0"}, Credentials{srv.URL, "a", "b"}, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			results, errs := c.UpsertBatch(context.Background(), records(3))
			for i, w := range tt.want {
				if w == -1 {
					if errs[i] != nil || results[i].ID != "003000000000002AAA" {
						t.Fatalf("record %d = %+v, %v; want success", i, results[i], errs[i])
					}
					continue
				}
				if errs[i] == nil || fault.ClassOf(errs[i]) != w {
					t.Fatalf("record %d: %v, want %v", i, errs[i], w)
				}
			}
		})
	}
}
