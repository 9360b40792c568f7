package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	hssandbox "github.com/profilesync/profilesync/pkg/sandbox/hubspot"
)

const (
	testToken = "pat-na1-test-token"
	idProp    = "profilesync_id"
	subID     = "123456"
)

// newTestClient returns a client wired to a fresh fake portal.
func newTestClient(t *testing.T, mode DeleteMode) (*Client, *hssandbox.Fake, *httptest.Server) {
	t.Helper()
	fake := hssandbox.NewFake(testToken, idProp)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New("hs-test", Settings{IDProperty: idProp, DeleteMode: mode, OptOutSubscriptionID: subID},
		Credentials{AccessToken: testToken, BaseURL: srv.URL}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, srv
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	ctx := context.Background()
	// The id property in the fields must not override the key.
	first, err := c.Upsert(ctx, rec("u-1", map[string]any{"firstname": "Jane", "email": "jane@example.com", idProp: "other", "age": 42.0, "vip": true}))
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.ID == "" {
		t.Fatalf("first upsert = %+v, want created with an id", first)
	}
	second, err := c.Upsert(ctx, rec("u-1", map[string]any{"lastname": "Doe", "interests": []any{"ski", "golf"}}))
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.ID != first.ID {
		t.Fatalf("second upsert = %+v, want an update of %s", second, first.ID)
	}
	got := fake.Records()
	if len(got) != 1 {
		t.Fatalf("records = %+v", got)
	}
	p := got[0].Properties
	want := map[string]string{"firstname": "Jane", "lastname": "Doe", "email": "jane@example.com", idProp: "u-1", "age": "42", "vip": "true", "interests": "ski;golf"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("property %s = %q, want %q", k, p[k], v)
		}
	}
}

func TestKeysAreEscaped(t *testing.T) {
	for _, mode := range []DeleteMode{DeleteArchive, DeleteGDPR} {
		t.Run(string(mode), func(t *testing.T) {
			c, fake, _ := newTestClient(t, mode)
			ctx := context.Background()
			keys := []string{"tenant/42/user 7", "a%2Fb", "ü?x=1#frag", "auth0|abc&def=1"}
			for _, k := range keys {
				if _, err := c.Upsert(ctx, rec(k, map[string]any{"firstname": "X"})); err != nil {
					t.Fatalf("upsert %q: %v", k, err)
				}
			}
			got := map[string]bool{}
			for _, r := range fake.Records() {
				got[r.Properties[idProp]] = true
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
			if _, err := c.Upsert(ctx, rec("..", nil)); fault.ClassOf(err) != fault.Permanent {
				t.Fatalf("upsert of key .. = %v, want permanent", err)
			}
		})
	}
}

func TestDeleteArchiveIsIdempotent(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
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
	// One read and one archive for the live contact, one read each after.
	if got := fake.Calls(); got.Read != 3 || got.Archive != 1 || got.GDPRDelete != 0 {
		t.Fatalf("calls = %+v, want 3 reads and 1 archive", got)
	}
	if fake.Blocklisted("jane@example.com") {
		t.Fatal("archive must not blocklist the email")
	}
}

func TestDeleteGDPRIsIdempotent(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteGDPR)
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com"})); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Delete(ctx, rec("u-1", nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if len(fake.Records()) != 0 || !fake.Blocklisted("jane@example.com") {
		t.Fatalf("records = %+v; want none and the email blocklisted", fake.Records())
	}
	if got := fake.Calls(); got.GDPRDelete != 2 || got.Read != 0 {
		t.Fatalf("calls = %+v, want 2 GDPR deletes", got)
	}
}

func TestOptOut(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	ctx := context.Background()
	r := rec("u-1", map[string]any{"email": "jane@example.com"})
	if _, err := c.Upsert(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second answers "already unsubscribed", which is success
		if err := c.OptOut(ctx, r); err != nil {
			t.Fatalf("opt-out #%d: %v", i+1, err)
		}
	}
	if got := fake.Records(); len(got[0].Unsubscribed) != 1 || got[0].Unsubscribed[0] != subID {
		t.Fatalf("unsubscribed = %v, want [%s]", got[0].Unsubscribed, subID)
	}
	if err := c.OptOut(ctx, rec("u-1", nil)); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("opt-out without email = %v, want permanent", err)
	}
	c.settings.OptOutSubscriptionID = ""
	if err := c.OptOut(ctx, r); fault.ClassOf(err) != fault.Permanent || !strings.Contains(err.Error(), "optout_subscription_id") {
		t.Fatalf("opt-out unconfigured = %v, want permanent naming the setting", err)
	}
	if n := fake.Calls().Unsubscribe; n != 2 {
		t.Fatalf("unsubscribe calls = %d, want 2", n)
	}
}

func TestErrorClassesThroughTheFake(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*hssandbox.Fake, *Client)
		fields map[string]any
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"ten-secondly limit", func(f *hssandbox.Fake, _ *Client) { f.ThrottleNext(1, 7*time.Second) }, nil, fault.Throttled, "TEN_SECONDLY_ROLLING", 7 * time.Second},
		{"daily limit", func(f *hssandbox.Fake, _ *Client) { f.ExhaustDaily(1) }, nil, fault.Throttled, "DAILY", DailyRetryAfter},
		{"server error", func(f *hssandbox.Fake, _ *Client) { f.FailNext(1, 500) }, nil, fault.Transient, "INTERNAL_ERROR", 0},
		{"bad gateway", func(f *hssandbox.Fake, _ *Client) { f.FailNext(1, 502) }, nil, fault.Transient, "INTERNAL_ERROR", 0},
		{"rotated token", func(f *hssandbox.Fake, _ *Client) { f.RotateToken("pat-new") }, nil, fault.Permanent, "INVALID_AUTHENTICATION", 0},
		{"missing scopes", func(f *hssandbox.Fake, _ *Client) { f.FailNext(1, 403) }, nil, fault.Permanent, "MISSING_SCOPES", 0},
		{"conflict", func(f *hssandbox.Fake, _ *Client) { f.FailNext(1, 409) }, nil, fault.Permanent, "CONFLICT", 0},
		{"invalid email", func(*hssandbox.Fake, *Client) {}, map[string]any{"email": "jane-at-example"}, fault.Permanent, "VALIDATION_ERROR", 0},
		{"unknown property", func(f *hssandbox.Fake, _ *Client) { f.SetSchema("firstname") }, map[string]any{"shoe_size": "44"}, fault.Permanent, "VALIDATION_ERROR", 0},
		{"read-only property", func(*hssandbox.Fake, *Client) {}, map[string]any{"createdate": "2020-01-01"}, fault.Permanent, "VALIDATION_ERROR", 0},
		{"id property not unique", func(_ *hssandbox.Fake, c *Client) { c.settings.IDProperty = "firstname" }, nil, fault.Permanent, "VALIDATION_ERROR", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, DeleteArchive)
			tt.setup(fake, c)
			fields := tt.fields
			if fields == nil {
				fields = map[string]any{"lastname": "X"}
			}
			_, err := c.Upsert(context.Background(), rec("u-1", fields))
			fe := fault.As(err)
			if fe == nil || fe.Class != tt.class || fe.Code != tt.code || fe.RetryAfter != tt.after {
				t.Fatalf("err = %v (%+v), want %v %s after %v", err, fe, tt.class, tt.code, tt.after)
			}
			if !strings.Contains(err.Error(), "correlationId") {
				t.Errorf("error %q lost HubSpot's correlationId", err)
			}
			if strings.Contains(err.Error(), "jane-at-example") {
				t.Errorf("error %q quotes the value we sent", err)
			}
			if tt.class != fault.Permanent {
				if _, err := c.Upsert(context.Background(), rec("u-2", map[string]any{"lastname": "Y"})); err != nil {
					t.Fatalf("the call after an injected failure failed: %v", err)
				}
			}
		})
	}
}

func TestPerInputConflictIsPermanent(t *testing.T) {
	c, _, _ := newTestClient(t, DeleteArchive)
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email": "jane@example.com"})); err != nil {
		t.Fatal(err)
	}
	_, err := c.Upsert(ctx, rec("u-2", map[string]any{"email": "jane@example.com"}))
	fe := fault.As(err)
	if fe.Class != fault.Permanent || fe.Code != "CONFLICT" || fe.Status != http.StatusMultiStatus || !strings.Contains(fe.Message, "Existing ID") {
		t.Fatalf("err = %v, want a permanent CONFLICT from a 207", err)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, _, srv := newTestClient(t, DeleteArchive)
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

func TestConcurrentUpserts(t *testing.T) {
	c, fake, _ := newTestClient(t, DeleteArchive)
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := c.Upsert(context.Background(), rec(fmt.Sprintf("u-%d", i%10), map[string]any{"lastname": fmt.Sprint("N", i)}))
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
	if got := len(fake.Records()); got != 10 {
		t.Fatalf("%d contacts, want 10", got)
	}
}
