package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

const extField = "ProfileSync_Id__c"

// newTestClient returns a client wired to a fresh fake org.
func newTestClient(t testing.TB, version string) (*Client, *sfsandbox.Fake, *httptest.Server) {
	t.Helper()
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New("sf-test", Settings{Object: "Contact", ExternalIDField: extField, APIVersion: version},
		Credentials{LoginURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, srv
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	ctx := context.Background()
	// Id and the External ID field in the mapped fields must not be sent:
	// the fake refuses both (the latter because it differs from the URL).
	fields := map[string]any{"LastName": "Doe", "Id": "003bogus", extField: "other"}
	first, err := c.Upsert(ctx, rec("u-1", fields))
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || len(first.ID) != 18 || !strings.HasPrefix(first.ID, "003") {
		t.Fatalf("first upsert = %+v, want created with an 18-char 003 id", first)
	}
	second, err := c.Upsert(ctx, rec("u-1", map[string]any{"FirstName": "Jane"}))
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.ID != first.ID {
		t.Fatalf("second upsert = %+v, want an update of %s", second, first.ID)
	}
	got := fake.Records("Contact")
	if len(got) != 1 || got[0]["LastName"] != "Doe" || got[0]["FirstName"] != "Jane" || got[0][extField] != "u-1" {
		t.Fatalf("records = %v", got)
	}
}

func TestUpsertBeforeV46Answers204(t *testing.T) {
	c, _, _ := newTestClient(t, "v45.0")
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"LastName": "Doe"})); err != nil {
		t.Fatal(err)
	}
	res, err := c.Upsert(ctx, rec("u-1", map[string]any{"LastName": "Roe"}))
	if err != nil || res != (connector.Result{}) {
		t.Fatalf("update on v45.0 = %+v, %v; want an empty result", res, err)
	}
}

func TestKeysAreEscaped(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	ctx := context.Background()
	keys := []string{"tenant/42/user 7", "a%2Fb", "ü?x=1#frag"}
	for _, k := range keys {
		if _, err := c.Upsert(ctx, rec(k, map[string]any{"LastName": "X"})); err != nil {
			t.Fatalf("upsert %q: %v", k, err)
		}
	}
	got := map[string]bool{}
	for _, r := range fake.Records("Contact") {
		got[r[extField].(string)] = true
	}
	for _, k := range keys {
		if !got[k] {
			t.Fatalf("key %q not stored verbatim; stored %v", k, got)
		}
		if err := c.Delete(ctx, rec(k, nil)); err != nil {
			t.Fatalf("delete %q: %v", k, err)
		}
	}
	if n := len(fake.Records("Contact")); n != 0 {
		t.Fatalf("%d records left after deleting all", n)
	}
	if _, err := c.Upsert(ctx, rec("..", nil)); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("upsert of key .. = %v, want permanent", err)
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"LastName": "Doe"})); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Delete(ctx, rec("u-1", nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if err := c.Delete(ctx, rec("never-existed", nil)); err != nil {
		t.Fatalf("delete of a missing record: %v", err)
	}
	if n := fake.Calls().Delete; n != 3 {
		t.Fatalf("delete calls = %d, want 3", n)
	}
}

func TestDeleteOfDeletedEntity(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			w.Write([]byte(`{"access_token":"t","instance_url":"http://` + r.Host + `"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED"}]`))
	}))
	defer srv.Close()
	c, err := New("sf", Settings{"Contact", extField, "v62.0"}, Credentials{srv.URL, "a", "b"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(context.Background(), rec("u-1", nil)); err != nil {
		t.Fatalf("delete answered ENTITY_IS_DELETED = %v, want success", err)
	}
}

func TestOneTokenForConcurrentUpserts(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := c.Upsert(context.Background(), rec(fmt.Sprintf("u-%d", i), map[string]any{"LastName": "X"}))
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
	if got := fake.Calls(); got.Token != 1 || got.Upsert != n {
		t.Fatalf("calls = %+v, want 1 token call and %d upserts", got, n)
	}
}

func TestExpiredSessionRefreshesOnce(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-0", map[string]any{"LastName": "X"})); err != nil {
		t.Fatal(err)
	}
	fake.ExpireTokens()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := c.Upsert(ctx, rec("u-0", map[string]any{"FirstName": fmt.Sprint("N", i)}))
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
		t.Fatalf("token calls = %d, want 2 (the first and one refresh for all %d callers)", got, n)
	}
}

func TestSecond401IsAuthNotALoop(t *testing.T) {
	c, fake, _ := newTestClient(t, "v62.0")
	fake.FailNext(5, http.StatusUnauthorized, "INVALID_SESSION_ID")
	_, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"LastName": "X"}))
	if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "INVALID_SESSION_ID" {
		t.Fatalf("err = %v, want auth INVALID_SESSION_ID", err)
	}
	if got := fake.Calls(); got.Token != 2 || got.Upsert != 2 {
		t.Fatalf("calls = %+v, want 2 token calls and 2 upserts", got)
	}
}

func TestTokenRefusedIsPermanent(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := New("sf", Settings{"Contact", extField, "v62.0"}, Credentials{srv.URL, "cid", "wrong-secret"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Upsert(context.Background(), rec("u-1", map[string]any{"LastName": "X"}))
	fe := fault.As(err)
	if fe.Class != fault.Permanent || fe.Code != "invalid_client" || !strings.Contains(err.Error(), "invalid client credentials") {
		t.Fatalf("err = %v, want permanent invalid_client with the description", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error %q leaks the secret", err)
	}
}

func TestErrorClassesThroughTheFake(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*sfsandbox.Fake)
		fields map[string]any
		class  fault.Class
		code   string
	}{
		{"throttled", func(f *sfsandbox.Fake) { f.ThrottleNext(1) }, nil, fault.Throttled, "REQUEST_LIMIT_EXCEEDED"},
		{"row lock", func(f *sfsandbox.Fake) { f.FailNext(1, 400, "UNABLE_TO_LOCK_ROW") }, nil, fault.Transient, "UNABLE_TO_LOCK_ROW"},
		{"server unavailable", func(f *sfsandbox.Fake) { f.FailNext(1, 503, "SERVER_UNAVAILABLE") }, nil, fault.Transient, "SERVER_UNAVAILABLE"},
		{"required field", func(*sfsandbox.Fake) {}, map[string]any{"FirstName": "Jane"}, fault.Permanent, "REQUIRED_FIELD_MISSING"},
		{"unknown field", func(f *sfsandbox.Fake) { f.SetSchema("Contact", "LastName", extField) },
			map[string]any{"LastName": "X", "Foo__c": 1}, fault.Permanent, "INVALID_FIELD"},
		{"not an external id field", func(f *sfsandbox.Fake) { f.SetSchema("Contact", "LastName") }, nil, fault.Permanent, "NOT_FOUND"},
		{"multiple matches", func(f *sfsandbox.Fake) {
			f.Put("Contact", map[string]any{extField: "u-1", "LastName": "A"})
			f.Put("Contact", map[string]any{extField: "u-1", "LastName": "B"})
		}, nil, fault.Permanent, "MULTIPLE_CHOICES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, "v62.0")
			tt.setup(fake)
			fields := tt.fields
			if fields == nil {
				fields = map[string]any{"LastName": "X"}
			}
			_, err := c.Upsert(context.Background(), rec("u-1", fields))
			fe := fault.As(err)
			if fe.Class != tt.class || fe.Code != tt.code {
				t.Fatalf("err = %v, want %v %s", err, tt.class, tt.code)
			}
			if tt.class == fault.Throttled && fe.RetryAfter != LimitRetryAfter {
				t.Fatalf("RetryAfter = %v, want %v", fe.RetryAfter, LimitRetryAfter)
			}
			if _, err := c.Upsert(context.Background(), rec("u-2", map[string]any{"LastName": "Y"})); tt.class != fault.Permanent && err != nil {
				t.Fatalf("the call after an injected failure failed: %v", err)
			}
		})
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, _, srv := newTestClient(t, "v62.0")
	srv.Close()
	_, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"LastName": "X"}))
	if fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Upsert(ctx, rec("u-1", nil)); !errors.Is(err, context.Canceled) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want a transient context.Canceled", err)
	}
}
