package generic

import (
	"context"
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
	gsandbox "github.com/profilesync/profilesync/pkg/sandbox/generic"
)

var testCreds = Credentials{Token: "tok", Username: "user", Password: "pw", HMACSecret: "whsec_test"}

// seen records what reached the fake, for header and path checks.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
	lens []int64
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.lens = append(s.lens, r.ContentLength)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func newTestClient(t *testing.T, mode AuthMode, fakeAuth gsandbox.Auth) (*Client, *gsandbox.Fake, *seen) {
	t.Helper()
	fake := gsandbox.NewFake(fakeAuth)
	var log seen
	srv := httptest.NewServer(log.wrap(fake))
	t.Cleanup(srv.Close)
	m := validSettings()
	m["auth"] = string(mode)
	s, err := DecodeSettings(m)
	if err != nil {
		t.Fatal(err)
	}
	creds := testCreds
	creds.BaseURL = srv.URL + "/"
	c, err := New("generic-test", s, creds, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, &log
}

func record(key string, typ profile.EventType, fields map[string]any) connector.Record {
	return connector.Record{Key: key, Fields: fields, Event: profile.Event{
		ID: "evt-" + string(typ), Type: typ, Source: "cidaas", Subject: key,
		OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}}
}

var hmacAuth = gsandbox.Auth{Mode: "hmac", HMACSecret: "whsec_test"}

func TestUpsertRoutesAndDelete(t *testing.T) {
	c, fake, log := newTestClient(t, AuthHMAC, hmacAuth)
	ctx := context.Background()
	res, err := c.Upsert(ctx, record("u-1", profile.Created, map[string]any{"email": "a@example.com"}))
	if err != nil || !res.Created || res.ID != "c-1" {
		t.Fatalf("create = %+v, %v", res, err)
	}
	res, err = c.Upsert(ctx, record("u-1", profile.ConsentGranted, map[string]any{"newsletter": true}))
	if err != nil || res.Created || res.ID != "c-1" {
		t.Fatalf("update through the upsert fallback = %+v, %v", res, err)
	}
	got := fake.Records()
	if len(got) != 1 || got[0].Fields["newsletter"] != true || got[0].LastEventID != "evt-consent_granted" {
		t.Fatalf("records = %+v", got)
	}
	for i := range 2 { // the second delete meets a 404: still success
		if err := c.Delete(ctx, record("u-1", profile.Deleted, nil)); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if n := len(fake.Records()); n != 0 {
		t.Fatalf("%d records after delete", n)
	}
	wantRoutes := []string{"POST /contacts", "PUT /contacts/u-1", "DELETE /contacts/u-1", "DELETE /contacts/u-1"}
	for i, r := range log.reqs {
		if got := r.Method + " " + r.URL.Path; got != wantRoutes[i] {
			t.Errorf("request %d = %s, want %s", i, got, wantRoutes[i])
		}
		if r.Header.Get("Idempotency-Key") == "" || r.Header.Get("X-Tenant") != "acme" {
			t.Errorf("request %d headers = %v", i, r.Header)
		}
		if r.Method == http.MethodDelete && log.lens[i] != 0 {
			t.Errorf("delete sent a body of %d bytes", log.lens[i])
		}
	}
}

func TestAuthModes(t *testing.T) {
	tests := []struct {
		mode AuthMode
		good gsandbox.Auth
		bad  gsandbox.Auth
	}{
		{AuthBearer, gsandbox.Auth{Mode: "bearer", Token: "tok"}, gsandbox.Auth{Mode: "bearer", Token: "other"}},
		{AuthBasic, gsandbox.Auth{Mode: "basic", Username: "user", Password: "pw"}, gsandbox.Auth{Mode: "basic", Username: "user", Password: "nope"}},
		{AuthHMAC, hmacAuth, gsandbox.Auth{Mode: "hmac", HMACSecret: "another"}},
		{AuthNone, gsandbox.Auth{Mode: "none"}, gsandbox.Auth{Mode: "bearer", Token: "tok"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			c, _, _ := newTestClient(t, tt.mode, tt.good)
			if _, err := c.Upsert(context.Background(), record("u-1", profile.Updated, map[string]any{"a": 1})); err != nil {
				t.Fatalf("accepted credentials: %v", err)
			}
			c, _, _ = newTestClient(t, tt.mode, tt.bad)
			_, err := c.Upsert(context.Background(), record("u-1", profile.Updated, map[string]any{"a": 1}))
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Status != 401 {
				t.Fatalf("refused credentials = %v, want auth 401", err)
			}
		})
	}
}

func TestHMACTimestampOutsideTolerance(t *testing.T) {
	c, fake, _ := newTestClient(t, AuthHMAC, hmacAuth)
	fake.SetClock(func() time.Time { return time.Now().Add(10 * time.Minute) })
	if err := c.Delete(context.Background(), record("u-1", profile.Deleted, nil)); fault.ClassOf(err) != fault.Auth {
		t.Fatalf("stale signature = %v, want auth", err)
	}
}

func TestSignVector(t *testing.T) {
	// Computed independently: HMAC-SHA256("whsec_test", `1700000000.{"key":"u-1"}`).
	const want = "t=1700000000,v1=87be253b5a9934f5db42dba0089d4226a52ce6ba9326e1813d7aa96e308b69fd"
	if got := Sign([]byte("whsec_test"), time.Unix(1700000000, 0), []byte(`{"key":"u-1"}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestFailuresAreClassified(t *testing.T) {
	tests := []struct {
		name       string
		inject     func(*gsandbox.Fake)
		class      fault.Class
		retryAfter time.Duration
	}{
		{"429 with Retry-After", func(f *gsandbox.Fake) { f.ThrottleNext(1, 30*time.Second) }, fault.Throttled, 30 * time.Second},
		{"503", func(f *gsandbox.Fake) { f.FailNext(1, 503) }, fault.Transient, 0},
		{"500", func(f *gsandbox.Fake) { f.FailNext(1, 500) }, fault.Transient, 0},
		{"408", func(f *gsandbox.Fake) { f.FailNext(1, 408) }, fault.Transient, 0},
		{"400", func(f *gsandbox.Fake) { f.FailNext(1, 400) }, fault.Permanent, 0},
		{"422", func(f *gsandbox.Fake) { f.FailNext(1, 422) }, fault.Permanent, 0},
		{"403", func(f *gsandbox.Fake) { f.FailNext(1, 403) }, fault.Permanent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _ := newTestClient(t, AuthHMAC, hmacAuth)
			tt.inject(fake)
			_, err := c.Upsert(context.Background(), record("u-1", profile.Updated, map[string]any{"a": 1}))
			fe := fault.As(err)
			if fe.Class != tt.class || fe.RetryAfter != tt.retryAfter || fe.Code != "injected" {
				t.Fatalf("err = %+v, want %v retry %v", fe, tt.class, tt.retryAfter)
			}
			if _, err := c.Upsert(context.Background(), record("u-1", profile.Updated, map[string]any{"a": 1})); err != nil {
				t.Fatalf("call after the injected failure: %v", err)
			}
		})
	}
}

func TestKeysAndPlaceholdersAreEscaped(t *testing.T) {
	c, fake, log := newTestClient(t, AuthHMAC, hmacAuth)
	c.settings.Requests["consent_revoked"] = Request{Method: "PATCH", Path: "/contacts/{key}?e={event_id}&t={event_type}&s={source}"}
	ctx := context.Background()
	key := "tenant/7/jane doe?#"
	if _, err := c.Upsert(ctx, record(key, profile.Updated, map[string]any{"a": 1})); err != nil {
		t.Fatal(err)
	}
	if got := fake.Records(); len(got) != 1 || got[0].Key != key {
		t.Fatalf("records = %+v, want one keyed %q", got, key)
	}
	r := record(key, profile.ConsentRevoked, map[string]any{"b": 2})
	r.Event.ID = "id/1 2&x=y"
	if _, err := c.Upsert(ctx, r); err != nil {
		t.Fatal(err)
	}
	last := log.reqs[len(log.reqs)-1]
	if p := last.URL.EscapedPath(); p != "/contacts/tenant%2F7%2Fjane%20doe%3F%23" {
		t.Fatalf("escaped path = %s", p)
	}
	if q := last.URL.Query(); q.Get("e") != "id/1 2&x=y" || q.Has("x") || q.Get("t") != "consent_revoked" || q.Get("s") != "cidaas" {
		t.Fatalf("query = %v", q)
	}
	if err := c.Delete(ctx, record(key, profile.Deleted, nil)); err != nil || len(fake.Records()) != 0 {
		t.Fatalf("delete = %v, records %v", err, fake.Records())
	}
}

func TestErrorMessageFromBody(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name, body, code, msg string
	}{
		{"json message", `{"error":"invalid_email","message":"email jane@example.com is invalid"}`, "invalid_email", "email [redacted] is invalid"},
		{"nested error", `{"error":{"code":"E42","message":"bad"}}`, "E42", "bad"},
		{"error only", `{"error":"nope"}`, "", "nope"},
		{"html", `<html>jane@example.com</html>`, "", ""},
		{"echo of our payload", `{"key":"u-1","record":{"email":"jane@example.com"}}`, "", ""},
		{"long", `{"message":"` + long + `"}`, "", long[:200] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			s, _ := DecodeSettings(validSettings())
			s.Auth = AuthNone
			c, err := New("g", s, Credentials{BaseURL: srv.URL}, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Upsert(context.Background(), record("u-1", profile.Updated, map[string]any{"email": "jane@example.com"}))
			fe := fault.As(err)
			if fe.Class != fault.Permanent || fe.Code != tt.code || fe.Message != tt.msg {
				t.Fatalf("err = %+v; want code %q message %q", fe, tt.code, tt.msg)
			}
		})
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	s, _ := DecodeSettings(validSettings())
	c, err := New("g", s, Credentials{BaseURL: "http://127.0.0.1:1", HMACSecret: "x"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(context.Background(), record("u-1", profile.Deleted, nil)); fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
}
