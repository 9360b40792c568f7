package mailchimp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	mcsandbox "github.com/profilesync/profilesync/pkg/sandbox/mailchimp"
)

const (
	apiKey = "0123456789abcdef-us21"
	listID = "a1b2c3d4e5"
)

func newTestClient(t *testing.T, s Settings) (*Client, *mcsandbox.Fake, *httptest.Server) {
	t.Helper()
	fake := mcsandbox.NewFake(apiKey, listID)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if s.ListID == "" {
		s.ListID = listID
	}
	if s.StatusIfNew == "" {
		s.StatusIfNew = "subscribed"
	}
	if s.DeleteMode == "" {
		s.DeleteMode = DeleteArchive
	}
	c, err := New("mc-test", s, Credentials{APIKey: apiKey, BaseURL: srv.URL + "/3.0"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, srv
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{KeyMergeField: "PSID"})
	ctx := context.Background()
	res, err := c.Upsert(ctx, rec("tenant/42 u-1", map[string]any{"email_address": "Jane.Doe+news@Example.com ",
		"merge_fields": map[string]any{"FNAME": "Jane"}}))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != SubscriberHash("jane.doe+news@example.com") {
		t.Fatalf("id = %q, want the subscriber hash", res.ID)
	}
	// The same address in another case is the same member.
	if _, err := c.Upsert(ctx, rec("tenant/42 u-1", map[string]any{"email_address": "jane.doe+news@example.com",
		"merge_fields": map[string]any{"LNAME": "Doe"}})); err != nil {
		t.Fatal(err)
	}
	got := fake.Records()
	if len(got) != 1 {
		t.Fatalf("records = %+v, want one member", got)
	}
	m := got[0]
	if m.Status != "subscribed" || m.MergeFields["FNAME"] != "Jane" || m.MergeFields["LNAME"] != "Doe" || m.MergeFields["PSID"] != "tenant/42 u-1" {
		t.Fatalf("member = %+v", m)
	}
	if n := fake.Calls().Put; n != 2 {
		t.Fatalf("PUT calls = %d, want 2", n)
	}
}

func TestEmailChangeRenamesTheMember(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	if _, err := c.Upsert(ctx, rec("u-1", map[string]any{"email_address": "old@example.com"})); err != nil {
		t.Fatal(err)
	}
	res, err := c.Upsert(ctx, rec("u-1", map[string]any{"email_address": "new@example.com", "previous_email_address": "old@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Records()
	if len(got) != 1 || got[0].EmailAddress != "new@example.com" || res.ID != SubscriberHash("new@example.com") {
		t.Fatalf("records = %+v, result %+v; want the one member renamed", got, res)
	}
	if _, ok := got[0].Other["previous_email_address"]; ok {
		t.Fatal("previous_email_address was sent to Mailchimp")
	}
	// An old address Mailchimp never had: the new one is upserted.
	if _, err := c.Upsert(ctx, rec("u-2", map[string]any{"email_address": "b@example.com", "previous_email_address": "a@example.com"})); err != nil {
		t.Fatal(err)
	}
	if calls := fake.Calls(); calls.Patch != 2 || calls.Put != 2 || len(fake.Records()) != 2 {
		t.Fatalf("calls = %+v, records %d; want 2 PATCH, 2 PUT, 2 members", calls, len(fake.Records()))
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*mcsandbox.Fake)
		email  string
		status string
		class  fault.Class
		code   string
		after  time.Duration
	}{
		{"fake-looking email", nil, "jane@example.invalid", "", fault.Permanent, "Invalid Resource", 0},
		{"compliance state", func(f *mcsandbox.Fake) { f.Put(listID, "jane@example.com", "unsubscribed") },
			"jane@example.com", "subscribed", fault.Permanent, "Member In Compliance State", 0},
		{"bad status", nil, "jane@example.com", "bogus", fault.Permanent, "Invalid Resource", 0},
		{"server error", func(f *mcsandbox.Fake) { f.FailNext(1, 500) }, "jane@example.com", "", fault.Transient, "Internal Server Error", 0},
		{"edge blocked", func(f *mcsandbox.Fake) { f.FailNext(1, 503) }, "jane@example.com", "", fault.Transient, "Service Unavailable", 0},
		{"forbidden", func(f *mcsandbox.Fake) { f.FailNext(1, 403) }, "jane@example.com", "", fault.Permanent, "Forbidden", 0},
		{"throttled", func(f *mcsandbox.Fake) { f.ThrottleNext(1, 0) }, "jane@example.com", "", fault.Throttled, "Too Many Requests", ThrottleRetryAfter},
		{"throttled with Retry-After", func(f *mcsandbox.Fake) { f.ThrottleNext(1, 7*time.Second) }, "jane@example.com", "", fault.Throttled, "Too Many Requests", 7 * time.Second},
		{"too many connections", func(f *mcsandbox.Fake) { f.SetMaxConnections(0) }, "jane@example.com", "", fault.Throttled, "Too Many Requests", ThrottleRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{})
			if tt.setup != nil {
				tt.setup(fake)
			}
			fields := map[string]any{"email_address": tt.email}
			if tt.status != "" {
				fields["status"] = tt.status
			}
			_, err := c.Upsert(context.Background(), rec("u-1", fields))
			fe := fault.As(err)
			if fe.Class != tt.class || fe.Code != tt.code || fe.RetryAfter != tt.after {
				t.Fatalf("err = %v (retry after %v), want %v %q after %v", err, fe.RetryAfter, tt.class, tt.code, tt.after)
			}
			if strings.Contains(err.Error(), tt.email) {
				t.Fatalf("error %q quotes the email we sent", err)
			}
		})
	}
}

func TestWrongKeyIsPermanent(t *testing.T) {
	fake := mcsandbox.NewFake(apiKey, listID)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for _, creds := range []Credentials{
		{APIKey: "revoked0key-us21", BaseURL: srv.URL + "/3.0"},
		{AccessToken: "revoked0token", BaseURL: srv.URL + "/3.0"},
	} {
		c, err := New("mc", Settings{ListID: listID, StatusIfNew: "subscribed", DeleteMode: DeleteArchive}, creds, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Upsert(context.Background(), rec("u-1", map[string]any{"email_address": "jane@example.com"}))
		if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 401 || fe.Code != "API Key Invalid" {
			t.Fatalf("err = %v, want permanent 401 API Key Invalid", err)
		}
		if strings.Contains(err.Error(), "revoked0") {
			t.Fatalf("error %q quotes the credential", err)
		}
	}
}

func TestBearerTokenAuth(t *testing.T) {
	fake := mcsandbox.NewFake("oauth-token", listID)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := New("mc", Settings{ListID: listID, StatusIfNew: "pending", DeleteMode: DeleteArchive},
		Credentials{AccessToken: "oauth-token", BaseURL: srv.URL + "/3.0/"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"email_address": "jane@example.com"})); err != nil {
		t.Fatal(err)
	}
	if got := fake.Records(); len(got) != 1 || got[0].Status != "pending" {
		t.Fatalf("records = %+v, want one pending member", got)
	}
}

func TestDelete(t *testing.T) {
	for _, mode := range []string{DeleteArchive, DeletePermanent} {
		t.Run(mode, func(t *testing.T) {
			c, fake, _ := newTestClient(t, Settings{DeleteMode: mode})
			ctx := context.Background()
			fields := map[string]any{"email_address": "jane@example.com"}
			if _, err := c.Upsert(ctx, rec("u-1", fields)); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if err := c.Delete(ctx, rec("u-1", fields)); err != nil {
					t.Fatalf("delete #%d: %v", i+1, err)
				}
			}
			if err := c.Delete(ctx, rec("never@example.com", nil)); err != nil {
				t.Fatalf("delete of a missing member keyed by email: %v", err)
			}
			calls, got := fake.Calls(), fake.Records()
			_, err := c.Upsert(ctx, rec("u-1", fields))
			if mode == DeleteArchive {
				if calls.Archive != 3 || len(got) != 1 || got[0].Status != "archived" {
					t.Fatalf("calls %+v, records %+v; want 3 archive calls and one archived member", calls, got)
				}
				if err != nil {
					t.Fatalf("re-adding an archived member: %v", err)
				}
				return
			}
			if calls.DeletePermanent != 3 || len(got) != 0 {
				t.Fatalf("calls %+v, records %+v; want 3 delete-permanent calls and no member", calls, got)
			}
			if fe := fault.As(err); fe.Class != fault.Permanent || fe.Code != "Forgotten Email Not Subscribed" || strings.Contains(err.Error(), "jane@") {
				t.Fatalf("re-adding a forgotten member = %v, want a redacted permanent Forgotten Email Not Subscribed", err)
			}
		})
	}
}

func TestDeleteNeedsAnEmail(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	err := c.Delete(context.Background(), rec("u-1", nil))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Code != "MISSING_EMAIL" {
		t.Fatalf("err = %v, want permanent MISSING_EMAIL", err)
	}
	if n := fake.Calls().Total(); n != 0 {
		t.Fatalf("%d calls made without an address", n)
	}
}

func TestOptOut(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	fields := map[string]any{"email_address": "jane@example.com"}
	if _, err := c.Upsert(ctx, rec("u-1", fields)); err != nil {
		t.Fatal(err)
	}
	r := rec("u-1", fields)
	r.Event.Type = profile.ConsentRevoked
	if err := c.OptOut(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := fake.Records(); got[0].Status != "unsubscribed" {
		t.Fatalf("status = %q, want unsubscribed", got[0].Status)
	}
	if err := c.OptOut(ctx, rec("u-2", map[string]any{"email_address": "nobody@example.com"})); err != nil {
		t.Fatalf("opt-out of an unknown member: %v", err)
	}
	// Re-subscribing an opted-out member through an upsert is refused.
	_, err := c.Upsert(ctx, rec("u-1", map[string]any{"email_address": "jane@example.com", "status": "subscribed"}))
	if fault.As(err).Code != "Member In Compliance State" {
		t.Fatalf("err = %v, want Member In Compliance State", err)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	c, _, srv := newTestClient(t, Settings{})
	srv.Close()
	_, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"email_address": "jane@example.com"}))
	if fault.ClassOf(err) != fault.Transient || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("err = %v, want transient without the key", err)
	}
}

func TestSkipMergeValidationQuery(t *testing.T) {
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	c, err := New("mc", Settings{ListID: listID, StatusIfNew: "subscribed", DeleteMode: DeleteArchive, SkipMergeValidation: true},
		Credentials{APIKey: apiKey, BaseURL: srv.URL}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(context.Background(), rec("u-1", map[string]any{"email_address": "a@example.com"})); err != nil || query != "skip_merge_validation=true" {
		t.Fatalf("query = %q, err %v", query, err)
	}
}

// A delete without an address finds the member by the id an earlier
// upsert returned (the sync state's record id); a record id that is no
// subscriber hash is not used.
func TestDeleteByRecordID(t *testing.T) {
	c, fake, _ := newTestClient(t, Settings{})
	ctx := context.Background()
	res, err := c.Upsert(ctx, rec("u-1", map[string]any{"email_address": "jane@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	bad := rec("u-1", nil)
	bad.RecordID = "../../lists"
	if fault.As(c.Delete(ctx, bad)).Code != "MISSING_EMAIL" {
		t.Fatal("a record id that is no subscriber hash was used")
	}
	r := rec("u-1", nil)
	r.RecordID = res.ID
	if err := c.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := fake.Records(); len(got) != 1 || got[0].Status != "archived" {
		t.Fatalf("records %+v, want the member archived", got)
	}
}
