package brevo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	brsandbox "github.com/profilesync/profilesync/pkg/sandbox/brevo"
)

const testKey = "xkeysib-test"

// newTestClient returns a client wired to a fresh fake account.
func newTestClient(t *testing.T, s Settings) (*Client, *brsandbox.Fake, *httptest.Server) {
	t.Helper()
	fake := brsandbox.NewFake(testKey)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if s.Identifier == "" {
		s.Identifier = ByExtID
	}
	if s.OptOut == "" {
		s.OptOut = OptOutUnlinkLists
		s.ListIDs = []int64{7, 8}
	}
	c, err := New("brevo-test", s, Credentials{APIKey: testKey, BaseURL: srv.URL}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, srv
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

func TestUpsertByExtIDCreatesThenUpdates(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	first, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com", "firstname": "Jane", "LASTNAME": "Doe", "subscribed": true, "ext_id": "ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.ID != "1" {
		t.Fatalf("first upsert = %+v, want created with id 1", first)
	}
	second, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane.doe@example.com", "lastname": "Roe", "sms": "+33612345678"}))
	if err != nil || second.Created {
		t.Fatalf("second upsert = %+v, %v; want an update", second, err)
	}
	got := fake.Records()
	if len(got) != 1 {
		t.Fatalf("records = %+v", got)
	}
	r := got[0]
	if r.ExtID != "u-1" || r.Email != "jane.doe@example.com" || r.Attributes["FIRSTNAME"] != "Jane" || r.Attributes["LASTNAME"] != "Roe" ||
		r.Attributes["SMS"] != "+33612345678" || !slices.Equal(r.ListIDs, []int64{7, 8}) {
		t.Fatalf("record = %+v", r)
	}
	// A new contact is one update (404) and one create; an update is one call.
	if calls := fake.Calls(); calls.Update != 2 || calls.Create != 1 {
		t.Fatalf("calls = %+v, want 2 updates and 1 create", calls)
	}
}

func TestUpsertByEmailIsOneCall(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{Identifier: ByEmail})
	ctx := context.Background()
	key := "jane+news@example.com"
	first, err := c.Upsert(ctx, rec(key, map[string]any{"FIRSTNAME": "Jane", "subscribed": true}))
	if err != nil || !first.Created {
		t.Fatalf("first upsert = %+v, %v", first, err)
	}
	second, err := c.Upsert(ctx, rec(key, map[string]any{"FIRSTNAME": "Janet"}))
	if err != nil || second.Created {
		t.Fatalf("second upsert = %+v, %v", second, err)
	}
	if calls := fake.Calls(); calls.Create != 2 || calls.Update != 0 {
		t.Fatalf("calls = %+v, want 2 creates (updateEnabled) and no update", calls)
	}
	// Leaving the lists needs unlinkListIds, which only the update takes.
	if _, err := c.Upsert(ctx, rec(key, map[string]any{"subscribed": false})); err != nil {
		t.Fatal(err)
	}
	got := fake.Records()
	if len(got) != 1 || got[0].Email != key || got[0].Attributes["FIRSTNAME"] != "Janet" || len(got[0].ListIDs) != 0 {
		t.Fatalf("records = %+v", got)
	}
	if _, err := c.Upsert(ctx, rec("u-1", nil)); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("email mode with a non-email key = %v, want permanent", err)
	}
}

func TestSubscribedDrivesListMembership(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	steps := []struct {
		fields map[string]any
		lists  []int64
	}{
		{map[string]any{"firstname": "A"}, []int64{}},
		{map[string]any{"subscribed": true}, []int64{7, 8}},
		{map[string]any{"firstname": "B"}, []int64{7, 8}}, // absent: no change
		{map[string]any{"subscribed": nil}, []int64{7, 8}},
		{map[string]any{"subscribed": false}, []int64{}},
	}
	for i, s := range steps {
		if _, err := c.Upsert(ctx, rec("u-1", s.fields)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := fake.Records()[0].ListIDs; !slices.Equal(got, s.lists) {
			t.Fatalf("step %d: lists = %v, want %v", i, got, s.lists)
		}
	}
}

func TestKeysAreEscaped(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	keys := []string{"tenant/42/user 7", "a%2Fb", "ü?x=1#frag", "auth0|abc&identifierType=email_id"}
	for _, k := range keys {
		if _, err := c.Upsert(ctx, rec(k, map[string]any{"firstname": "X"})); err != nil {
			t.Fatalf("upsert %q: %v", k, err)
		}
	}
	got := map[string]bool{}
	for _, r := range fake.Records() {
		got[r.ExtID] = true
	}
	for _, k := range keys {
		if !got[k] {
			t.Fatalf("key %q not stored verbatim; stored %v", k, got)
		}
		if err := c.Delete(ctx, rec(k, nil)); err != nil {
			t.Fatalf("delete %q: %v", k, err)
		}
	}
	if n := len(fake.Records()); n != 0 {
		t.Fatalf("%d records left after deleting all", n)
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com"})); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Delete(ctx, rec("u-1", nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if err := c.Delete(ctx, rec("never-existed", nil)); err != nil {
		t.Fatalf("delete of a missing contact: %v", err)
	}
	if n := fake.Calls().Delete; n != 3 {
		t.Fatalf("delete calls = %d, want 3", n)
	}
	fake.FailNext(1, http.StatusMethodNotAllowed)
	if err := c.Delete(ctx, rec("u-2", nil)); fault.As(err).Code != "method_not_allowed" || fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("delete refused with 405 = %v, want permanent method_not_allowed", err)
	}
}

func TestOptOut(t *testing.T) {
	ctx := context.Background()
	c, fake, _ := newTestClient(t, Settings{})
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com", "subscribed": true})); err != nil {
		t.Fatal(err)
	}
	if err := c.OptOut(ctx, rec("u-1", nil)); err != nil {
		t.Fatal(err)
	}
	if r := fake.Records()[0]; len(r.ListIDs) != 0 || r.EmailBlacklisted {
		t.Fatalf("after unlink_lists opt-out: %+v", r)
	}
	if err := c.OptOut(ctx, rec("nobody", nil)); err != nil {
		t.Fatalf("opt-out of a missing contact = %v, want success", err)
	}

	c, fake, _ = newTestClient(t, Settings{OptOut: OptOutBlocklist, ListIDs: []int64{7}})
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com", "subscribed": true})); err != nil {
		t.Fatal(err)
	}
	if err := c.OptOut(ctx, rec("u-1", nil)); err != nil {
		t.Fatal(err)
	}
	if r := fake.Records()[0]; !r.EmailBlacklisted || !slices.Equal(r.ListIDs, []int64{7}) {
		t.Fatalf("after blocklist opt-out: %+v", r)
	}
}

func TestErrorClassesThroughTheFake(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*brsandbox.Fake)
		fields map[string]any
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"throttled", func(f *brsandbox.Fake) { f.ThrottleNext(1, 7*time.Second) }, nil, fault.Throttled, "too_many_requests", 7 * time.Second},
		{"server error", func(f *brsandbox.Fake) { f.FailNext(1, 500) }, nil, fault.Transient, "", 0},
		{"unavailable", func(f *brsandbox.Fake) { f.FailNext(1, 503) }, nil, fault.Transient, "", 0},
		{"rotated key", func(f *brsandbox.Fake) { f.RotateKey("xkeysib-new") }, nil, fault.Permanent, "unauthorized", 0},
		{"no credits", func(f *brsandbox.Fake) { f.FailNext(1, 402) }, nil, fault.Permanent, "not_enough_credits", 0},
		{"permission denied", func(f *brsandbox.Fake) { f.FailNext(1, 403) }, nil, fault.Permanent, "permission_denied", 0},
		{"invalid parameter", func(f *brsandbox.Fake) { f.FailNext(1, 400) }, nil, fault.Permanent, "invalid_parameter", 0},
		{"unknown attribute", func(f *brsandbox.Fake) { f.SetAttributes("FIRSTNAME") }, map[string]any{"shoe_size": 44}, fault.Permanent, "invalid_parameter", 0},
		{"invalid email", func(*brsandbox.Fake) {}, map[string]any{"email": "jane-at-example"}, fault.Permanent, "invalid_parameter", 0},
		{"email of another contact", func(f *brsandbox.Fake) {}, map[string]any{"email": "taken@example.com"}, fault.Permanent, "duplicate_parameter", 0},
		{"nested field", func(*brsandbox.Fake) {}, map[string]any{"address": map[string]any{"city": "Lyon"}}, fault.Permanent, "", 0},
		{"subscribed not a bool", func(*brsandbox.Fake) {}, map[string]any{"subscribed": "yes"}, fault.Permanent, "", 0},
		{"bad attribute name", func(*brsandbox.Fake) {}, map[string]any{"first name": "x"}, fault.Permanent, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{})
			ctx := context.Background()
			if _, err := c.Upsert(ctx, rec("owner", map[string]any{"email": "taken@example.com"})); err != nil {
				t.Fatal(err)
			}
			tt.setup(fake)
			fields := tt.fields
			if fields == nil {
				fields = map[string]any{"lastname": "X"}
			}
			_, err := c.Upsert(ctx, rec("u-1", fields))
			fe := fault.As(err)
			if fe == nil || fe.Class != tt.class || fe.Code != tt.code || fe.RetryAfter != tt.after {
				t.Fatalf("err = %v (%+v), want %v %q after %v", err, fe, tt.class, tt.code, tt.after)
			}
			if strings.Contains(err.Error(), "jane-at-example") || strings.Contains(err.Error(), "taken@example.com") {
				t.Errorf("error %q quotes a value we sent", err)
			}
			if tt.class != fault.Permanent {
				if _, err := c.Upsert(ctx, rec("u-2", map[string]any{"lastname": "Y"})); err != nil {
					t.Fatalf("the call after an injected failure failed: %v", err)
				}
			}
		})
	}
}

func TestConcurrentCreatesOfOneContact(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"lastname": fmt.Sprint("N", i)}))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(fake.Records()); got != 1 {
		t.Fatalf("%d contacts, want 1", got)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, _, srv := newTestClient(t, Settings{})
	srv.Close()
	_, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"lastname": "X"}))
	if fault.ClassOf(err) != fault.Transient || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v, want transient without the URL", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Delete(ctx, rec("u-1", nil)); !errors.Is(err, context.Canceled) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want a transient context.Canceled", err)
	}
}
