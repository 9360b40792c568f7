package zuora

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	zsandbox "github.com/profilesync/profilesync/pkg/sandbox/zuora"
)

const (
	idField = "ProfileSyncId__c"
	account = "A00000042"
)

func newTestClient(t *testing.T, s Settings) (*Client, *zsandbox.Fake, *httptest.Server) {
	t.Helper()
	fake := zsandbox.NewFake("cid", "csecret", account)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if s.IDField == "" {
		s.IDField = idField
	}
	if s.Lookup == "" {
		s.Lookup = LookupObjectQuery
	}
	if s.DeleteMode == "" {
		s.DeleteMode = DeleteContact
	}
	c, err := New("zuora-test", s, Credentials{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, srv
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-" + key, Type: profile.Updated}}
}

func person() map[string]any {
	return map[string]any{"firstName": "Jane", "lastName": "Doe", "workEmail": "jane@example.com"}
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	keys := []string{"u-1", "tenant/42 it's ü?x=1&y=2#f", `back\slash' or 1=1`, "a.EQ:b"}
	for _, lookup := range []string{LookupObjectQuery, LookupZOQL} {
		t.Run(lookup, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{Lookup: lookup, AccountID: account})
			ctx := context.Background()
			for _, key := range keys {
				first, err := c.Upsert(ctx, rec(key, person()))
				if err != nil || !first.Created || first.ID == "" {
					t.Fatalf("create %q = %+v, %v", key, first, err)
				}
				second, err := c.Upsert(ctx, rec(key, map[string]any{"city": "Berlin", "accountId": "ignored"}))
				if err != nil || second.Created || second.ID != first.ID {
					t.Fatalf("update %q = %+v, %v; want an update of %s", key, second, err, first.ID)
				}
			}
			got := fake.Records()
			if len(got) != len(keys) {
				t.Fatalf("%d contacts, want %d", len(got), len(keys))
			}
			stored := map[string]zsandbox.Contact{}
			for _, ct := range got {
				stored[ct.Fields[idField].(string)] = ct
			}
			for _, key := range keys {
				ct, ok := stored[key]
				if !ok || ct.AccountID != account || ct.Fields["city"] != "Berlin" || ct.Fields["lastName"] != "Doe" {
					t.Fatalf("contact for %q = %+v (all: %+v)", key, ct, got)
				}
			}
			if calls := fake.Calls(); calls.Token != 1 || calls.Create != 4 || calls.Update != 4 || calls.Query != 8 {
				t.Fatalf("calls = %+v", calls)
			}
		})
	}
}

func TestMappedAccountAndMissingAccount(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	_, err := c.Upsert(ctx, rec("u-1", person()))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Code != "MISSING_ACCOUNT" || fake.Calls().Create != 0 {
		t.Fatalf("err = %v, want permanent MISSING_ACCOUNT before any create", err)
	}
	f := person()
	f["accountId"] = account
	if _, err := c.Upsert(ctx, rec("u-1", f)); err != nil {
		t.Fatal(err)
	}
	f["accountId"] = "A-unknown"
	_, err = c.Upsert(ctx, rec("u-2", f))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Code != "53100040" {
		t.Fatalf("err = %v, want permanent 53100040", err)
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*zsandbox.Fake)
		fields map[string]any
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"200 invalid value", nil, map[string]any{"firstName": "J", "lastName": "D", "workEmail": "jane.at.example.com"}, fault.Permanent, "53100020", 0},
		{"200 unknown field", nil, map[string]any{"firstName": "J", "lastName": "D", "shoeSize": 9}, fault.Permanent, "53100021", 0},
		{"200 missing field", nil, map[string]any{"firstName": "J"}, fault.Permanent, "53100022", 0},
		{"200 permission", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100010) }, nil, fault.Permanent, "53100010", 0},
		{"200 rule", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100030) }, nil, fault.Permanent, "53100030", 0},
		{"200 lock", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100050) }, nil, fault.Transient, "53100050", 0},
		{"200 internal", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100060) }, nil, fault.Transient, "53100060", 0},
		{"200 temporary", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100061) }, nil, fault.Transient, "53100061", 0},
		{"200 limit", func(f *zsandbox.Fake) { f.FailNextCode(1, 53100070) }, nil, fault.Throttled, "53100070", LimitRetryAfter},
		{"429", func(f *zsandbox.Fake) { f.ThrottleNext(1, 12*time.Second) }, nil, fault.Throttled, "REQUEST_EXCEEDED_RATE", 12 * time.Second},
		{"500", func(f *zsandbox.Fake) { f.FailNext(1, 500) }, nil, fault.Transient, "50000060", 0},
		{"503", func(f *zsandbox.Fake) { f.FailNext(1, 503) }, nil, fault.Transient, "50000060", 0},
		{"400", func(f *zsandbox.Fake) { f.FailNext(1, 400) }, nil, fault.Permanent, "50000020", 0},
		{"duplicate key", func(f *zsandbox.Fake) {
			f.Put(account, map[string]any{idField: "u-1"})
			f.Put(account, map[string]any{idField: "u-1"})
		}, nil, fault.Permanent, "DUPLICATE_KEY", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{AccountID: account})
			if tt.setup != nil {
				tt.setup(fake)
			}
			fields := tt.fields
			if fields == nil {
				fields = person()
			}
			_, err := c.Upsert(context.Background(), rec("u-1", fields))
			fe := fault.As(err)
			if fe.Class != tt.class || fe.Code != tt.code || fe.RetryAfter != tt.after {
				t.Fatalf("err = %v (retry after %v), want %v %s after %v", err, fe.RetryAfter, tt.class, tt.code, tt.after)
			}
			if strings.Contains(err.Error(), "jane.at.example.com") {
				t.Fatalf("error %q quotes a value we sent", err)
			}
		})
	}
}

func TestAuthRefreshesOnce(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{AccountID: account})
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-0", person())); err != nil {
		t.Fatal(err)
	}
	fake.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := c.Upsert(ctx, rec("u-0", map[string]any{"nickname": fmt.Sprint("n", i)}))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("upsert after expiry: %v", err)
		}
	}
	if got := fake.Calls().Token; got != 2 {
		t.Fatalf("token calls = %d, want 2 (one refresh for all callers)", got)
	}
}

func TestSecondAuthFailureIsAuth(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(*zsandbox.Fake)
		code  string
	}{
		{"HTTP 401", func(f *zsandbox.Fake) { f.FailNext(5, 401) }, "90000011"},
		{"200 with an auth code", func(f *zsandbox.Fake) { f.FailNextCode(5, 90000011) }, "90000011"},
		{"200 with category 11", func(f *zsandbox.Fake) { f.FailNextCode(5, 53100011) }, "53100011"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{AccountID: account})
			tt.setup(fake)
			_, err := c.Upsert(context.Background(), rec("u-1", person()))
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != tt.code {
				t.Fatalf("err = %v, want auth %s", err, tt.code)
			}
			if calls := fake.Calls(); calls.Token != 2 || calls.Query != 2 {
				t.Fatalf("calls = %+v, want 2 token calls and 2 queries", calls)
			}
		})
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{AccountID: account})
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c.now = clock
	fake.SetClock(clock)
	fake.SetTokenTTL(5 * time.Minute) // expires_in 299: used for 239 s
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", person())); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(240 * time.Second)
	mu.Unlock()
	if _, err := c.Upsert(ctx, rec("u-1", person())); err != nil {
		t.Fatal(err)
	}
	if calls := fake.Calls(); calls.Token != 2 || calls.Query != 2 {
		t.Fatalf("calls = %+v, want a renewal without a refused call", calls)
	}
}

func TestTokenRefusedIsPermanent(t *testing.T) {
	fake := zsandbox.NewFake("cid", "csecret", account)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := New("z", Settings{IDField: idField, Lookup: LookupObjectQuery, DeleteMode: DeleteContact},
		Credentials{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "revoked0secret"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Upsert(context.Background(), rec("u-1", person()))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Code != "invalid_client" || strings.Contains(err.Error(), "revoked0") {
		t.Fatalf("err = %v, want permanent invalid_client without the secret", err)
	}
}

func TestDelete(t *testing.T) {
	for _, mode := range []string{DeleteContact, DeleteScrub} {
		t.Run(mode, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{AccountID: account, DeleteMode: mode})
			ctx := context.Background()
			if _, err := c.Upsert(ctx, rec("u 1/2", person())); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if err := c.Delete(ctx, rec("u 1/2", nil)); err != nil {
					t.Fatalf("delete #%d: %v", i+1, err)
				}
			}
			if err := c.Delete(ctx, rec("never-existed", nil)); err != nil {
				t.Fatalf("delete of a missing contact: %v", err)
			}
			got := fake.Records()
			if mode == DeleteContact && (len(got) != 0 || fake.Calls().Delete != 1) {
				t.Fatalf("records %+v, calls %+v; want none left", got, fake.Calls())
			}
			if mode == DeleteScrub && (len(got) != 1 || !got[0].Scrubbed || got[0].Fields["workEmail"] != "scrubbed") {
				t.Fatalf("records = %+v, want one scrubbed contact", got)
			}
		})
	}
}

func TestNotFoundAnswersCountAsDeleted(t *testing.T) {
	for _, body := range []string{`{"success":false,"reasons":[{"code":53100040,"message":"Cannot find entity"}]}`,
		`{"success":false,"reasons":[{"code":"50000040","message":"gone"}]}`} {
		if !notFound(classify(200, nil, []byte(body), nil)) {
			t.Fatalf("%s: not treated as not found", body)
		}
	}
	if notFound(classify(200, nil, []byte(`{"success":false,"reasons":[{"code":53100020}]}`), nil)) {
		t.Fatal("an invalid value counted as not found")
	}
}

func TestIdempotentCreate(t *testing.T) {
	r := rec("u-1", person())
	if idempotencyKey(r) != idempotencyKey(r) || len(idempotencyKey(r)) != 64 {
		t.Fatal("idempotency key is not a stable 64-char value")
	}
	other := r
	other.Event.ID = "evt-2"
	if idempotencyKey(other) == idempotencyKey(r) {
		t.Fatal("two events share an idempotency key")
	}
	// A resent create (its answer lost) is answered from Zuora's cache.
	c, fake, _ := newTestClient(t, Settings{AccountID: account})
	body := map[string]any{"firstName": "J", "lastName": "D", "accountId": account, idField: "u-1"}
	a, err := c.do(context.Background(), "POST", "/v1/contacts", body, idempotencyKey(r), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.do(context.Background(), "POST", "/v1/contacts", body, idempotencyKey(r), nil)
	if err != nil || string(a) != string(b) || len(fake.Records()) != 1 {
		t.Fatalf("resent create = %s, %v; first %s; %d contacts", b, err, a, len(fake.Records()))
	}
	body["lastName"] = "E"
	_, err = c.do(context.Background(), "POST", "/v1/contacts", body, idempotencyKey(r), nil)
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 422 {
		t.Fatalf("key reused with another body = %v, want permanent 422", err)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, _, srv := newTestClient(t, Settings{AccountID: account})
	srv.Close()
	if _, err := c.Upsert(context.Background(), rec("u-1", person())); fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
}
