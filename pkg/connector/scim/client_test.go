package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	scimsandbox "github.com/profilesync/profilesync/pkg/sandbox/scim"
)

// stand is a connector wired to the sandbox SCIM server through a
// recording handler, into which a test can hook to inject failures or
// concurrent changes before a request reaches the server.
type stand struct {
	c    *Client
	fake *scimsandbox.Server
	mu   sync.Mutex
	log  []string
	hook func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

func newStand(t *testing.T, settings map[string]any, creds Credentials) *stand {
	t.Helper()
	fake, err := scimsandbox.New(scimsandbox.Auth{Token: "tok"}, "")
	if err != nil {
		t.Fatal(err)
	}
	st := &stand{fake: fake}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		entry := r.Method + " " + r.URL.Path
		if f := r.URL.Query().Get("filter"); f != "" {
			entry += " ?" + f
		}
		if im := r.Header.Get("If-Match"); im != "" {
			entry += " If-Match:" + im
		}
		st.log = append(st.log, entry)
		hook := st.hook
		st.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s, err := DecodeSettings(settings)
	if err != nil {
		t.Fatal(err)
	}
	if creds == (Credentials{}) {
		creds = Credentials{Token: "tok"}
	}
	creds.BaseURL = srv.URL + "/"
	st.c, err = New("scim-test", s, creds, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// requests returns and clears the log.
func (st *stand) requests() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.log
	st.log = nil
	return out
}

func wantRequests(t *testing.T, st *stand, want ...string) {
	t.Helper()
	got := st.requests()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func rec(key string, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{ID: "evt-1", Type: profile.Updated}}
}

const filterU1 = `?externalId eq "u-1"`

func jane() map[string]any {
	return map[string]any{"userName": "jane", "name": map[string]any{"givenName": "Jane", "familyName": "Doe"},
		"title": "Engineer", "emails": []any{map[string]any{"value": "jane@example.test", "primary": true}},
		"id": "ignored", "externalId": "ignored"}
}

func TestUpsertPutMode(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	ctx := context.Background()
	res, err := st.c.Upsert(ctx, rec("u-1", jane()))
	if err != nil || !res.Created || res.ID == "" {
		t.Fatalf("create = %+v, %v", res, err)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "POST /Users")

	upd := jane()
	delete(upd, "title")
	upd["displayName"] = "Jane D."
	res2, err := st.c.Upsert(ctx, rec("u-1", upd))
	if err != nil || res2.Created || res2.ID != res.ID {
		t.Fatalf("update = %+v, %v", res2, err)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "PUT /Users/"+res.ID+` If-Match:W/"1"`)
	recs := st.fake.Records()
	a := recs[0].Attributes
	if len(recs) != 1 || recs[0].ExternalID != "u-1" || a["displayName"] != "Jane D." || a["title"] != nil {
		t.Fatalf("records = %+v (PUT replaces: title must be gone)", recs)
	}
}

func TestUpsertPatchMode(t *testing.T) {
	st := newStand(t, map[string]any{"mode": "patch", "schemas": []any{SchemaUser, SchemaEnterprise}}, Credentials{})
	ctx := context.Background()
	fields := jane()
	fields[SchemaEnterprise] = map[string]any{"employeeNumber": "42", "department": "R&D"}
	res, err := st.c.Upsert(ctx, rec("u-1", fields))
	if err != nil || !res.Created {
		t.Fatalf("create = %+v, %v", res, err)
	}
	st.requests()
	_, err = st.c.Upsert(ctx, rec("u-1", map[string]any{"displayName": "Jane D.", "title": nil,
		SchemaEnterprise: map[string]any{"department": "Ops"}}))
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "PATCH /Users/"+res.ID+` If-Match:W/"1"`)
	a := st.fake.Records()[0].Attributes
	ent, _ := a[SchemaEnterprise].(map[string]any)
	if a["displayName"] != "Jane D." || a["title"] != nil || a["userName"] != "jane" ||
		ent["department"] != "Ops" || ent["employeeNumber"] != "42" {
		t.Fatalf("after patch = %v (unnamed attributes stay, null removes)", a)
	}
}

func TestLookupEscapesTheKey(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	ctx := context.Background()
	for i, key := range []string{`a"b`, `back\slash`, "tenant/7 & x=1", "ü-ñ"} {
		body := map[string]any{"userName": fmt.Sprintf("user%d", i)}
		if res, err := st.c.Upsert(ctx, rec(key, body)); err != nil || !res.Created {
			t.Fatalf("create %q = %+v, %v", key, res, err)
		}
		if res, err := st.c.Upsert(ctx, rec(key, body)); err != nil || res.Created {
			t.Fatalf("update %q = %+v, %v (the lookup must find it)", key, res, err)
		}
	}
	if n := len(st.fake.Records()); n != 4 {
		t.Fatalf("%d records, want 4", n)
	}
}

func TestStaleETagIsRefreshedOnce(t *testing.T) {
	st := newStand(t, map[string]any{"mode": "patch"}, Credentials{})
	ctx := context.Background()
	res, err := st.c.Upsert(ctx, rec("u-1", jane()))
	if err != nil {
		t.Fatal(err)
	}
	st.requests()
	touches := 1
	st.hook = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && touches > 0 {
			touches--
			st.fake.Touch(res.ID) // another writer got there first
		}
		return false
	}
	if _, err := st.c.Upsert(ctx, rec("u-1", map[string]any{"title": "Lead"})); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "PATCH /Users/"+res.ID+` If-Match:W/"1"`,
		"GET /Users/"+res.ID, "PATCH /Users/"+res.ID+` If-Match:W/"2"`)

	touches = 2 // it keeps changing: give up, retryable
	_, err = st.c.Upsert(ctx, rec("u-1", map[string]any{"title": "Staff"}))
	if fe := fault.As(err); fe.Class != fault.Transient || fe.Status != 412 {
		t.Fatalf("second 412 = %v, want transient 412", err)
	}
}

func TestDeactivateAndDelete(t *testing.T) {
	for _, mode := range []string{"put", "patch"} {
		t.Run(mode, func(t *testing.T) {
			st := newStand(t, map[string]any{"mode": mode}, Credentials{})
			ctx := context.Background()
			if err := st.c.Deactivate(ctx, rec("u-1", nil)); err != nil {
				t.Fatalf("deactivate missing: %v", err)
			}
			res, err := st.c.Upsert(ctx, rec("u-1", jane()))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.c.Deactivate(ctx, rec("u-1", nil)); err != nil {
				t.Fatal(err)
			}
			a := st.fake.Records()[0].Attributes
			if a["active"] != false || a["userName"] != "jane" || a["title"] != "Engineer" {
				t.Fatalf("after deactivate = %v", a)
			}
			st.requests()
			for range 2 { // the second finds nothing: success
				if err := st.c.Delete(ctx, rec("u-1", nil)); err != nil {
					t.Fatal(err)
				}
			}
			wantRequests(t, st, "GET /Users "+filterU1, "DELETE /Users/"+res.ID+` If-Match:W/"2"`, "GET /Users "+filterU1)
			if n := len(st.fake.Records()); n != 0 {
				t.Fatalf("%d records after delete", n)
			}
		})
	}
}

func TestDeleteOfAResourceGoneMeanwhile(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	ctx := context.Background()
	if _, err := st.c.Upsert(ctx, rec("u-1", jane())); err != nil {
		t.Fatal(err)
	}
	st.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodDelete {
			st.fake.ServeHTTP(httptest.NewRecorder(), r.Clone(r.Context())) // someone else deletes it first
		}
		return false
	}
	if err := st.c.Delete(ctx, rec("u-1", nil)); err != nil {
		t.Fatalf("delete meeting 404 = %v", err)
	}
}

func TestDeactivateOnDelete(t *testing.T) {
	st := newStand(t, map[string]any{"deactivate_on_delete": true}, Credentials{})
	ctx := context.Background()
	if _, err := st.c.Upsert(ctx, rec("u-1", jane())); err != nil {
		t.Fatal(err)
	}
	if err := st.c.Delete(ctx, rec("u-1", nil)); err != nil {
		t.Fatal(err)
	}
	if recs := st.fake.Records(); len(recs) != 1 || recs[0].Attributes["active"] != false {
		t.Fatalf("records = %+v, want the user kept and inactive", recs)
	}
}

func TestConflictOnCreateRequeriesThenUpdates(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	var seeded string
	st.hook = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && seeded == "" { // a concurrent worker wins the race
			seeded = st.fake.Seed(map[string]any{"userName": "jane", "externalId": "u-1"})
		}
		return false
	}
	res, err := st.c.Upsert(context.Background(), rec("u-1", jane()))
	if err != nil || res.Created || res.ID != seeded {
		t.Fatalf("upsert = %+v, %v; want an update of %s", res, err, seeded)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "POST /Users", "GET /Users "+filterU1, "PUT /Users/"+seeded+` If-Match:W/"1"`)
}

func TestConflictOnAnotherAttributeIsPermanent(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	st.fake.Seed(map[string]any{"userName": "jane", "externalId": "someone-else"})
	_, err := st.c.Upsert(context.Background(), rec("u-1", jane()))
	if fe := fault.As(err); fe.Class != fault.Permanent || fe.Status != 409 || fe.Code != "uniqueness" {
		t.Fatalf("err = %+v", fe)
	}
	wantRequests(t, st, "GET /Users "+filterU1, "POST /Users", "GET /Users "+filterU1)
}

func TestAuth(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{Token: "wrong"})
	_, err := st.c.Upsert(context.Background(), rec("u-1", jane()))
	if fe := fault.As(err); fe.Class != fault.Auth || fe.Status != 401 {
		t.Fatalf("wrong token = %v, want auth 401", err)
	}
	fake, _ := scimsandbox.New(scimsandbox.Auth{Username: "svc", Password: "pw"}, "")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, _ := DecodeSettings(nil)
	c, _ := New("basic", s, Credentials{BaseURL: srv.URL, Username: "svc", Password: "pw"}, egress.Client(egress.Local, 5*time.Second))
	if _, err := c.Upsert(context.Background(), rec("u-1", jane())); err != nil {
		t.Fatalf("basic: %v", err)
	}
}

func TestThrottled(t *testing.T) {
	st := newStand(t, map[string]any{}, Credentials{})
	n := 1
	st.hook = func(w http.ResponseWriter, _ *http.Request) bool {
		if n == 0 {
			return false
		}
		n--
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"Too many requests"}`))
		return true
	}
	_, err := st.c.Upsert(context.Background(), rec("u-1", jane()))
	if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 7*time.Second || fe.Message != "Too many requests" {
		t.Fatalf("429 = %+v", fe)
	}
	if _, err := st.c.Upsert(context.Background(), rec("u-1", jane())); err != nil {
		t.Fatalf("after the 429: %v", err)
	}
}
