package braze

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	brsandbox "github.com/profilesync/profilesync/pkg/sandbox/braze"
)

const apiKey = "rest-api-key-0123"

func newTestClient(t *testing.T, s Settings) (*Client, *brsandbox.Fake) {
	t.Helper()
	fake := brsandbox.NewFake(apiKey)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if s.MaxBatch == 0 {
		s.MaxBatch = MaxTrackBatch
	}
	c, err := New("braze-test", s, Credentials{APIKey: apiKey, BaseURL: srv.URL + "/"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	c, fake := newTestClient(t, Settings{})
	ctx := context.Background()
	key := "tenant/42 ü?x=1#frag"
	res, err := c.Upsert(ctx, rec(key, map[string]any{"email": "jane@example.com", "first_name": "Jane", "external_id": "spoofed"}))
	if err != nil || res.ID != key {
		t.Fatalf("upsert = %+v, %v", res, err)
	}
	if _, err := c.Upsert(ctx, rec(key, map[string]any{"last_name": "Doe"})); err != nil {
		t.Fatal(err)
	}
	got := fake.Records()
	if len(got) != 1 || got[0].ExternalID != key || got[0].Attributes["first_name"] != "Jane" || got[0].Attributes["last_name"] != "Doe" {
		t.Fatalf("records = %+v", got)
	}
	if n := fake.Calls().Track; n != 2 {
		t.Fatalf("track calls = %d, want 2", n)
	}
}

func TestBatchCallsPerThousand(t *testing.T) {
	for _, tt := range []struct{ maxBatch, calls int }{{75, 14}, {50, 20}} {
		t.Run(fmt.Sprint(tt.maxBatch), func(t *testing.T) {
			c, fake := newTestClient(t, Settings{MaxBatch: tt.maxBatch})
			rs := make([]connector.Record, 1000)
			for i := range rs {
				rs[i] = rec(fmt.Sprintf("u-%04d", i), map[string]any{"n": i})
			}
			res, errs := c.UpsertBatch(context.Background(), rs)
			for i, err := range errs {
				if err != nil || res[i].ID != rs[i].Key {
					t.Fatalf("record %d: %+v, %v", i, res[i], err)
				}
			}
			if got := fake.Calls().Track; got != tt.calls || c.MaxBatch() != tt.maxBatch {
				t.Fatalf("track calls per 1,000 = %d, want %d", got, tt.calls)
			}
			if n := len(fake.Records()); n != 1000 {
				t.Fatalf("%d users stored", n)
			}
		})
	}
}

func TestBatchMapsNonFatalErrorsToRecords(t *testing.T) {
	for _, unindexed := range []bool{false, true} {
		t.Run(fmt.Sprintf("unindexed=%v", unindexed), func(t *testing.T) {
			c, fake := newTestClient(t, Settings{})
			fake.OmitErrorIndexes(unindexed)
			rs := []connector.Record{
				rec("u-0", map[string]any{"first_name": "A"}),
				rec("u-1", map[string]any{"email_subscribe": "maybe-later"}),
				rec("u-2", map[string]any{"first_name": "C"}),
				rec("u-3", map[string]any{"email": "jane.doe.example.com"}),
				rec("", map[string]any{"first_name": "E"}),
			}
			_, errs := c.UpsertBatch(context.Background(), rs)
			for i, want := range []bool{false, true, false, true, true} {
				if (errs[i] != nil) != want {
					t.Fatalf("record %d: err = %v, want failure %v", i, errs[i], want)
				}
				if want && fault.ClassOf(errs[i]) != fault.Permanent {
					t.Fatalf("record %d: err = %v, want permanent", i, errs[i])
				}
			}
			if fe := fault.As(errs[3]); fe.Code != CodeNonFatal || strings.Contains(errs[3].Error(), "jane.doe") || strings.Contains(errs[1].Error(), "maybe-later") {
				t.Fatalf("errors %v / %v: want non_fatal without the values sent", errs[1], errs[3])
			}
			want := 1 // one call; without indexes, one more per record to attribute the errors
			if unindexed {
				want = 5
			}
			if got := fake.Calls().Track; got != want {
				t.Fatalf("track calls = %d, want %d", got, want)
			}
			if n := len(fake.Records()); n != 2 {
				t.Fatalf("%d users stored, want the 2 valid ones", n)
			}
		})
	}
}

func TestAllInvalidIs400WithIndexes(t *testing.T) {
	c, _ := newTestClient(t, Settings{})
	_, errs := c.UpsertBatch(context.Background(), []connector.Record{
		rec("u-0", map[string]any{"email_subscribe": "x"}),
		rec("u-1", map[string]any{"email_subscribe": "y"}),
	})
	for i, err := range errs {
		if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 400 || fe.Code != CodeNonFatal {
			t.Fatalf("record %d: err = %v, want permanent 400 non_fatal", i, err)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name   string
		setup  func(*brsandbox.Fake)
		status int
		class  fault.Class
		after  time.Duration
	}{
		{"throttled", func(f *brsandbox.Fake) { f.ThrottleNext(1, 30*time.Second) }, 429, fault.Throttled, 30 * time.Second},
		{"server error", func(f *brsandbox.Fake) { f.FailNext(1, 500) }, 500, fault.Transient, 0},
		{"unavailable", func(f *brsandbox.Fake) { f.FailNext(1, 503) }, 503, fault.Transient, 0},
		{"bad request", func(f *brsandbox.Fake) { f.FailNext(1, 400) }, 400, fault.Permanent, 0},
		{"not found", func(f *brsandbox.Fake) { f.FailNext(1, 404) }, 404, fault.Permanent, 0},
		{"no permission", func(f *brsandbox.Fake) { f.Deny("users.track") }, 403, fault.Permanent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := newTestClient(t, Settings{})
			c.now = func() time.Time { return now }
			fake.SetClock(func() time.Time { return now })
			tt.setup(fake)
			rs := []connector.Record{rec("u-1", map[string]any{"email": "jane@example.com"}), rec("u-2", nil)}
			_, errs := c.UpsertBatch(context.Background(), rs)
			for i, err := range errs {
				fe := fault.As(err)
				if fe.Class != tt.class || fe.Status != tt.status || fe.RetryAfter != tt.after {
					t.Fatalf("record %d: err = %v (retry after %v), want %v %d after %v", i, err, fe.RetryAfter, tt.class, tt.status, tt.after)
				}
			}
		})
	}
}

func TestWrongKeyIsPermanent(t *testing.T) {
	fake := brsandbox.NewFake(apiKey)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := New("b", Settings{MaxBatch: 75}, Credentials{APIKey: "revoked0key", BaseURL: srv.URL}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Upsert(context.Background(), rec("u-1", nil))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 401 || strings.Contains(err.Error(), "revoked0") {
		t.Fatalf("err = %v, want permanent 401 without the key", err)
	}
}

func TestDelete(t *testing.T) {
	c, fake := newTestClient(t, Settings{})
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u/1", map[string]any{"first_name": "Jane"})); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Delete(ctx, rec("u/1", nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if err := c.Delete(ctx, rec("never-existed", nil)); err != nil {
		t.Fatalf("delete of a missing user: %v", err)
	}
	if n := len(fake.Records()); n != 0 {
		t.Fatalf("%d users left", n)
	}
	rs := make([]connector.Record, 120)
	for i := range rs {
		rs[i] = rec(fmt.Sprint("d-", i), nil)
	}
	for i, err := range c.DeleteBatch(ctx, rs) {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if got := fake.Calls().Delete; got != 3+3 {
		t.Fatalf("delete calls = %d, want 3 single + 3 for 120 ids", got)
	}
	fake.Deny("users.delete")
	if err := c.Delete(ctx, rec("u-9", nil)); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("delete without permission = %v, want permanent", err)
	}
}

func TestOptOut(t *testing.T) {
	c, fake := newTestClient(t, Settings{OptOutSubscriptionGroups: []string{"grp-news"}})
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com", "email_subscribe": "opted_in"})); err != nil {
		t.Fatal(err)
	}
	r := rec("u-1", nil)
	r.Event.Type = profile.ConsentRevoked
	if err := c.OptOut(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := c.OptOut(ctx, rec("unknown", nil)); err != nil {
		t.Fatal(err)
	}
	got := fake.Records()
	if len(got) != 1 {
		t.Fatalf("records = %+v; opt-out must not create profiles", got)
	}
	groups, _ := got[0].Attributes["subscription_groups"].(map[string]any)
	if got[0].Attributes["email_subscribe"] != "unsubscribed" || groups["grp-news"] != "unsubscribed" {
		t.Fatalf("attributes = %+v", got[0].Attributes)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, err := New("b", Settings{MaxBatch: 75}, Credentials{APIKey: apiKey, BaseURL: "http://127.0.0.1:1"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(context.Background(), rec("u-1", nil)); fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
}
