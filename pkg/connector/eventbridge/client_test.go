package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// stubAPI answers PutEvents from a script, to inject the per-entry and
// whole-call failures moto cannot produce. Entries whose detail key is in
// entryErr fail with that code; the first len(callErr) calls fail whole.
type stubAPI struct {
	mu       sync.Mutex
	calls    [][]types.PutEventsRequestEntry
	entryErr map[string]string
	callErr  []error
	short    bool // answer one entry fewer than sent
}

func (s *stubAPI) PutEvents(_ context.Context, in *awseb.PutEventsInput, _ ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, in.Entries)
	if n := len(s.calls); n <= len(s.callErr) {
		return nil, s.callErr[n-1]
	}
	out := &awseb.PutEventsOutput{}
	for i, e := range in.Entries {
		var d struct{ Key string }
		_ = json.Unmarshal([]byte(*e.Detail), &d)
		if code, bad := s.entryErr[d.Key]; bad {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: awssdk.String(code), ErrorMessage: awssdk.String("failed for " + d.Key)})
			continue
		}
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: awssdk.String(fmt.Sprintf("id-%d-%d", len(s.calls), i))})
	}
	if s.short {
		out.Entries = out.Entries[:len(out.Entries)-1]
	}
	return out, nil
}

func newStubClient(t testing.TB, api *stubAPI) *Client {
	t.Helper()
	c, err := NewWithAPI("bus", Settings{BusName: "customer-profiles", Source: DefaultSource, DetailType: DefaultDetailType, DeleteDetailType: DefaultDeleteDetailType}, api)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func records(n int, fields func(i int) map[string]any) []connector.Record {
	rs := make([]connector.Record, n)
	for i := range rs {
		rs[i] = connector.Record{Key: fmt.Sprintf("u-%d", i), Event: profile.Event{ID: fmt.Sprintf("e-%d", i), Type: profile.Updated, Source: "cidaas"}}
		if fields != nil {
			rs[i].Fields = fields(i)
		}
	}
	return rs
}

func TestPerEntryFailuresMapToTheirRecords(t *testing.T) {
	api := &stubAPI{entryErr: map[string]string{
		"u-2": "ThrottlingException", "u-4": "InternalFailure", "u-11": "MalformedDetail",
		"u-12": "NotAuthorizedForSourceException", "u-13": "",
	}}
	c := newStubClient(t, api)
	rs := records(15, func(i int) map[string]any { return map[string]any{"email": fmt.Sprintf("p%d@example.com", i)} })
	results, errs := c.UpsertBatch(context.Background(), rs)
	want := map[int]fault.Class{2: fault.Throttled, 4: fault.Transient, 11: fault.Permanent, 12: fault.Permanent, 13: fault.Transient}
	for i := range rs {
		cl, bad := want[i]
		switch {
		case !bad && (errs[i] != nil || !strings.HasPrefix(results[i].ID, "id-")):
			t.Errorf("record %d = %+v, %v; want published", i, results[i], errs[i])
		case bad && (errs[i] == nil || fault.ClassOf(errs[i]) != cl || results[i].ID != ""):
			t.Errorf("record %d = %+v, %v; want %v", i, results[i], errs[i], cl)
		}
	}
	if len(api.calls) != 2 || len(api.calls[0]) != 10 || len(api.calls[1]) != 5 {
		t.Fatalf("calls of %d entries, want 10 and 5", len(api.calls))
	}
	// The key may be personal data (a mapping may key on email): the
	// error never quotes it; the caller knows which record errs[i] is.
	if fe := fault.As(errs[11]); fe.Code != "MalformedDetail" || strings.Contains(errs[11].Error(), "u-11") {
		t.Errorf("error %v lost its code or quotes the key", errs[11])
	}
}

func TestWholeCallFailures(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		class fault.Class
		calls int // sent for 25 records
	}{
		{"throttled stops the rest", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, fault.Throttled, 1},
		{"expired token stops the rest", &smithy.GenericAPIError{Code: "ExpiredTokenException", Message: "expired"}, fault.Auth, 1},
		{"internal error, others go on", &smithy.GenericAPIError{Code: "InternalException", Message: "oops"}, fault.Transient, 3},
		{"missing bus", &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Event bus x does not exist."}, fault.Permanent, 3},
		{"network", errors.New("dial tcp: connection refused"), fault.Transient, 3},
		{"cancelled", context.Canceled, fault.Transient, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &stubAPI{callErr: []error{tt.err}}
			_, errs := newStubClient(t, api).UpsertBatch(context.Background(), records(25, nil))
			for i, err := range errs {
				if i < 10 || tt.calls == 1 {
					if fault.ClassOf(err) != tt.class {
						t.Fatalf("record %d: %v, want %v", i, err, tt.class)
					}
				} else if err != nil {
					t.Fatalf("record %d: %v, want published", i, err)
				}
			}
			if len(api.calls) != tt.calls {
				t.Fatalf("%d calls, want %d", len(api.calls), tt.calls)
			}
		})
	}
}

func TestShortAnswerIsTransient(t *testing.T) {
	api := &stubAPI{short: true}
	_, errs := newStubClient(t, api).UpsertBatch(context.Background(), records(3, nil))
	if errs[0] != nil || errs[1] != nil || fault.ClassOf(errs[2]) != fault.Transient {
		t.Fatalf("errs = %v", errs)
	}
}

func TestChunksBy256KiB(t *testing.T) {
	api := &stubAPI{}
	big := strings.Repeat("x", 100<<10)
	rs := records(5, func(int) map[string]any { return map[string]any{"blob": big} })
	rs = append(rs, connector.Record{Key: "huge", Fields: map[string]any{"blob": strings.Repeat("y", 300<<10)}})
	_, errs := newStubClient(t, api).UpsertBatch(context.Background(), rs)
	for i := range 5 {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
	}
	if fe := fault.As(errs[5]); fe == nil || fe.Class != fault.Permanent || fe.Code != "EntryTooLarge" {
		t.Fatalf("oversized record: %v", errs[5])
	}
	sizes := []int{}
	for _, call := range api.calls {
		total := 0
		for _, e := range call {
			total += entrySize(e)
		}
		if total > maxRequestBytes {
			t.Fatalf("call of %d bytes", total)
		}
		sizes = append(sizes, len(call))
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Fatalf("entries per call = %v, want [2 2 1]", sizes)
	}
}

func TestEntryShape(t *testing.T) {
	api := &stubAPI{}
	c := newStubClient(t, api)
	r := records(1, func(int) map[string]any {
		return map[string]any{"email": "a@example.com", "address": map[string]any{"city": "Berlin"}}
	})[0]
	res, err := c.Upsert(context.Background(), r)
	if err != nil || res.ID == "" || res.Created {
		t.Fatalf("Upsert = %+v, %v", res, err)
	}
	if err := c.Delete(context.Background(), connector.Record{Key: "u-0", Event: profile.Event{ID: "e-del", Type: profile.Deleted, Source: "cidaas"}}); err != nil {
		t.Fatal(err)
	}
	up, del := api.calls[0][0], api.calls[1][0]
	if *up.EventBusName != "customer-profiles" || *up.Source != "profilesync" || *up.DetailType != "ProfileChanged" || up.Time != nil {
		t.Fatalf("upsert entry = %+v", up)
	}
	wantUp := `{"key":"u-0","event":{"id":"e-0","type":"updated","source":"cidaas","occurred_at":"0001-01-01T00:00:00Z"},"record":{"address":{"city":"Berlin"},"email":"a@example.com"}}`
	if *up.Detail != wantUp {
		t.Fatalf("upsert detail = %s\nwant %s", *up.Detail, wantUp)
	}
	wantDel := `{"key":"u-0","event":{"id":"e-del","type":"deleted","source":"cidaas","occurred_at":"0001-01-01T00:00:00Z"}}`
	if *del.DetailType != "ProfileDeleted" || *del.Detail != wantDel {
		t.Fatalf("delete entry = %s %s", *del.DetailType, *del.Detail)
	}
	// An upsert without fields still carries an (empty) record.
	if _, err := c.Upsert(context.Background(), connector.Record{Key: "u-1"}); err != nil || !strings.Contains(*api.calls[2][0].Detail, `"record":{}`) {
		t.Fatalf("empty upsert: %v, %s", err, *api.calls[2][0].Detail)
	}
}

func TestDeleteFailure(t *testing.T) {
	api := &stubAPI{entryErr: map[string]string{"u-1": "AccessDeniedException"}}
	err := newStubClient(t, api).Delete(context.Background(), connector.Record{Key: "u-1"})
	if fault.ClassOf(err) != fault.Permanent || strings.Contains(err.Error(), "u-1") {
		t.Fatalf("Delete = %v", err)
	}
}

// TestAPICallsPer1000Changes: 1,000 changes take ceil(1000/10) = 100
// PutEvents calls.
func TestAPICallsPer1000Changes(t *testing.T) {
	api := &stubAPI{}
	c := newStubClient(t, api)
	_, errs := c.UpsertBatch(context.Background(), records(1000, func(i int) map[string]any { return map[string]any{"email": fmt.Sprintf("p%d@example.com", i)} }))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	want := int(math.Ceil(1000.0 / MaxBatch))
	t.Logf("eventbridge: %d PutEvents calls per 1,000 changes (goal %d)", len(api.calls), want)
	if len(api.calls) != want {
		t.Fatalf("calls = %d, want %d", len(api.calls), want)
	}
}

func BenchmarkUpsertBatch1000(b *testing.B) {
	api := &stubAPI{}
	c := newStubClient(b, api)
	rs := records(1000, func(i int) map[string]any { return map[string]any{"email": fmt.Sprintf("p%d@example.com", i)} })
	for b.Loop() {
		c.UpsertBatch(context.Background(), rs)
	}
	b.ReportMetric(float64(len(api.calls))/float64(b.N), "calls/1000changes")
}
