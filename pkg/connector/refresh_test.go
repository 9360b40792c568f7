package connector_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/brevo"
	targetreg "github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	brevosandbox "github.com/profilesync/profilesync/pkg/sandbox/brevo"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

// rotatingSecrets caches like pkg/awsadapter.Secrets: a read returns the cached
// copy until Invalidate, so a rotation is seen only after one.
type rotatingSecrets struct {
	mu                   sync.Mutex
	stored, cached       []byte
	reads, invalidations int
}

func (s *rotatingSecrets) Secret(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "salesforce" {
		return nil, fmt.Errorf("no secret %q", name)
	}
	if s.cached == nil {
		s.cached, s.reads = s.stored, s.reads+1
	}
	return append([]byte(nil), s.cached...), nil
}

func (s *rotatingSecrets) Invalidate(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cached, s.invalidations = nil, s.invalidations+1
}

func (s *rotatingSecrets) rotate(v string) { s.mu.Lock(); s.stored = []byte(v); s.mu.Unlock() }

func (s *rotatingSecrets) counts() (reads, invalidations int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads, s.invalidations
}

type refreshFixture struct {
	fake    *sfsandbox.Fake
	url     string
	secrets *rotatingSecrets
	hc      *http.Client
	builds  atomic.Int32
}

// newRefreshFixture serves a Salesforce fake that accepts only
// orgSecret, and secrets holding stored.
func newRefreshFixture(t *testing.T, orgSecret, storedSecret string) *refreshFixture {
	t.Helper()
	f := &refreshFixture{fake: sfsandbox.NewFake("cid", orgSecret), secrets: &rotatingSecrets{}}
	srv := httptest.NewServer(f.fake)
	t.Cleanup(srv.Close)
	f.url, f.hc = srv.URL, egress.Client(egress.Local, 5*time.Second)
	f.secrets.rotate(f.secretJSON(storedSecret, ""))
	return f
}

func (f *refreshFixture) secretJSON(clientSecret, pad string) string {
	return fmt.Sprintf(`{"login_url":%q,"client_id":"cid",%s"client_secret":%q}`, f.url, pad, clientSecret)
}

// connector builds through the registry, as Config.RefreshingConnector does,
// counting builds.
func (f *refreshFixture) connector(t *testing.T) connector.Connector {
	t.Helper()
	kind, _ := targetreg.Lookup("salesforce")
	settings := map[string]any{"object": "Contact", "external_id_field": "ProfileSync_Id__c", "api_version": "v62.0"}
	c, err := connector.NewRefreshingConnector(t.Context(), "salesforce", "salesforce", f.secrets, func(secret []byte) (connector.Connector, error) {
		f.builds.Add(1)
		return kind.New("salesforce", settings, secret, f.hc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func record(key string) connector.Record {
	return connector.Record{Key: key, Fields: map[string]any{"LastName": "Doe"}, Event: profile.Event{ID: "evt-" + key, Type: profile.Updated}}
}

// The client secret was rotated in Secrets Manager and in Salesforce; the
// warm function still holds the old one, which the token endpoint refuses.
func TestRefreshingConnectorPicksUpARotatedSecret(t *testing.T) {
	f := newRefreshFixture(t, "new-secret", "old-secret")
	c := f.connector(t)
	f.secrets.rotate(f.secretJSON("new-secret", ""))

	if _, err := c.Upsert(t.Context(), record("u-1")); err != nil {
		t.Fatalf("Upsert after rotation: %v", err)
	}
	if got := len(f.fake.Records("Contact")); got != 1 {
		t.Fatalf("%d records, want 1", got)
	}
	if reads, inv := f.secrets.counts(); reads != 2 || inv != 1 || f.builds.Load() != 2 {
		t.Fatalf("reads %d, invalidations %d, builds %d; want 2, 1, 2", reads, inv, f.builds.Load())
	}
	// From now on the new connector serves every call.
	if err := c.Delete(t.Context(), record("u-1")); err != nil {
		t.Fatal(err)
	}
	if calls := f.fake.Calls(); calls.Token != 2 {
		t.Fatalf("token calls %d, want the refused one and one more", calls.Token)
	}
}

// Nobody rotated anything: the refusal stands, with no second attempt, and
// the secret is not read again on every record.
func TestRefreshingConnectorUnchangedSecretIsNotRetried(t *testing.T) {
	f := newRefreshFixture(t, "org-secret", "wrong-secret")
	c := f.connector(t)
	for i := range 3 {
		_, err := c.Upsert(t.Context(), record("u-1"))
		if fe := fault.As(err); fe.Code != "invalid_client" || fe.Class != fault.Permanent {
			t.Fatalf("Upsert %d: err = %v, want the permanent invalid_client", i, err)
		}
	}
	if reads, inv := f.secrets.counts(); reads != 2 || inv != 1 || f.builds.Load() != 1 {
		t.Fatalf("reads %d, invalidations %d, builds %d; want 2, 1, 1", reads, inv, f.builds.Load())
	}
	if calls := f.fake.Calls(); calls.Token != 3 || calls.Upsert != 0 {
		t.Fatalf("calls %+v, want one token request per Upsert and no retry", calls)
	}
}

// A fault.Auth from the data API (a session refused twice: the connector
// already fetched a new token once) also refreshes.
func TestRefreshingConnectorOnAuthFault(t *testing.T) {
	f := newRefreshFixture(t, "org-secret", "org-secret")
	c := f.connector(t)
	if _, err := c.Upsert(t.Context(), record("warm")); err != nil {
		t.Fatal(err)
	}
	f.fake.FailNext(2, http.StatusUnauthorized, "INVALID_SESSION_ID")
	// Rotated to new bytes (what matters is that the secret changed).
	f.secrets.rotate(f.secretJSON("org-secret", " "))
	if _, err := c.Upsert(t.Context(), record("u-1")); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	if n := f.builds.Load(); n != 2 {
		t.Fatalf("%d builds, want the first and one rebuild", n)
	}
}

// stubConnector refuses every call with fault.Auth when built from the old
// secret.
type stubConnector struct{ secret string }

func (s stubConnector) Upsert(context.Context, connector.Record) (connector.Result, error) {
	if s.secret == "old" {
		return connector.Result{}, fault.New(fault.Auth, 401, "INVALID_SESSION_ID", "")
	}
	return connector.Result{ID: "r"}, nil
}

func (s stubConnector) Delete(ctx context.Context, r connector.Record) error {
	_, err := s.Upsert(ctx, r)
	return err
}

// Concurrent refusals share one refresh: one read of the rotated secret,
// one rebuild, and every call succeeds on its retry.
func TestRefreshingConnectorConcurrentRefusalsShareOneRebuild(t *testing.T) {
	secrets := &rotatingSecrets{}
	secrets.rotate("old")
	var builds atomic.Int32
	c, err := connector.NewRefreshingConnector(t.Context(), "salesforce", "salesforce", secrets, func(b []byte) (connector.Connector, error) {
		builds.Add(1)
		return stubConnector{string(b)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	secrets.rotate("new")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 16 {
		wg.Go(func() {
			call := func() error { _, err := c.Upsert(t.Context(), record(fmt.Sprint(i))); return err }
			if i%2 == 1 {
				call = func() error { return c.Delete(t.Context(), record(fmt.Sprint(i))) }
			}
			if call() != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	reads, inv := secrets.counts()
	if failed.Load() != 0 || builds.Load() != 2 || reads != 2 || inv != 1 {
		t.Fatalf("failed %d, builds %d, reads %d, invalidations %d; want 0, 2, 2, 1", failed.Load(), builds.Load(), reads, inv)
	}
}

// The wrapper keeps batching visible to the sync handler.
func TestRefreshingConnectorKeepsBatcher(t *testing.T) {
	f := newRefreshFixture(t, "new-secret", "old-secret")
	c := f.connector(t)
	b, ok := c.(connector.Batcher)
	if !ok {
		t.Fatal("the refreshing wrapper hides the Salesforce connector's UpsertBatch")
	}
	f.secrets.rotate(f.secretJSON("new-secret", ""))
	_, errs := b.UpsertBatch(t.Context(), []connector.Record{record("u-1"), record("u-2")})
	for i, err := range errs {
		if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
	if got := len(f.fake.Records("Contact")); got != 2 {
		t.Fatalf("%d records, want 2", got)
	}
}

func TestCredentialsRefused(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("upsert: %w", fault.New(fault.Auth, 401, "INVALID_SESSION_ID", "")), true},
		{fault.New(fault.Permanent, 400, "invalid_client", ""), true},
		{fault.New(fault.Permanent, 400, "invalid_grant", ""), true},
		{fault.New(fault.Permanent, 400, "INVALID_FIELD", ""), false},
		{fault.New(fault.Transient, 503, "", ""), false},
		{fmt.Errorf("plain"), false},
	}
	for _, tt := range tests {
		if got := connector.CredentialsRefused(tt.err); got != tt.want {
			t.Errorf("connector.CredentialsRefused(%v) = %v", tt.err, got)
		}
	}
}

// The wrapper passes the optional operations through: an opt-out reaches a
// connector that has one, and fails permanently for one that has none.
func TestRefreshingConnectorOptionalOperations(t *testing.T) {
	fake := brevosandbox.NewFake("k")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	secrets := &rotatingSecrets{stored: []byte(`{"api_key":"k","base_url":"` + srv.URL + `"}`)}
	c, err := connector.NewRefreshingConnector(context.Background(), "brevo", "salesforce", secrets, func(secret []byte) (connector.Connector, error) {
		return brevo.Build("brevo", map[string]any{"opt_out": "blocklist"}, secret, egress.Client(egress.Local, 5*time.Second))
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := connector.Record{Key: "u-1", Fields: map[string]any{"email": "jane@example.com"}}
	if _, err := c.Upsert(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if err := c.(connector.OptOuter).OptOut(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if cs := fake.Records(); len(cs) != 1 || !cs[0].EmailBlacklisted {
		t.Fatalf("contacts after opt-out: %+v", cs)
	}
	if err := c.(connector.Deactivator).Deactivate(context.Background(), rec); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("Deactivate on brevo = %v, want a permanent error", err)
	}
}

// connConnector is a connector holding a connection (like the LDAP
// client): Close is counted, and Upsert blocks while gate is open so a
// call can be kept in flight.
type connConnector struct {
	stubConnector
	closed  *atomic.Int32
	entered chan struct{} // closed when an upsert has started
	gate    chan struct{} // an upsert waits for it
}

func (c *connConnector) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if c.gate != nil && r.Key == "slow" {
		close(c.entered)
		<-c.gate
	}
	return c.stubConnector.Upsert(ctx, r)
}

func (c *connConnector) Close() error { c.closed.Add(1); return nil }

// A connector replaced after a rotation is closed, but only once the
// calls still using it have returned; the current one stays open.
func TestRefreshingConnectorClosesTheReplacedConnection(t *testing.T) {
	secrets := &rotatingSecrets{}
	secrets.rotate("old")
	var oldClosed, newClosed atomic.Int32
	first := &connConnector{stubConnector: stubConnector{"old"}, closed: &oldClosed,
		entered: make(chan struct{}), gate: make(chan struct{})}
	c, err := connector.NewRefreshingConnector(t.Context(), "ldap", "salesforce", secrets, func(b []byte) (connector.Connector, error) {
		if string(b) == "old" {
			return first, nil
		}
		return &connConnector{stubConnector: stubConnector{string(b)}, closed: &newClosed}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { _, err := c.Upsert(t.Context(), record("slow")); slow <- err }()
	<-first.entered // a call is in flight on the old connection

	secrets.rotate("new")
	if _, err := c.Upsert(t.Context(), record("u-1")); err != nil {
		t.Fatalf("upsert after rotation: %v", err)
	}
	if n := oldClosed.Load(); n != 0 {
		t.Fatalf("old connection closed %d times while a call was still using it", n)
	}
	close(first.gate)
	if err := <-slow; err != nil {
		t.Fatalf("the in-flight call, retried on the new connector: %v", err)
	}
	waitFor(t, func() bool { return oldClosed.Load() == 1 })
	if n := newClosed.Load(); n != 0 {
		t.Fatalf("current connection closed %d times", n)
	}
	if err := c.(io.Closer).Close(); err != nil || newClosed.Load() != 1 {
		t.Fatalf("Close: %v, current closed %d times, want once", err, newClosed.Load())
	}
}

// waitFor polls cond until it holds or five seconds pass.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
