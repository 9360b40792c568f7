package auth0

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/auth0"
	"github.com/profilesync/profilesync/pkg/source"
)

func fetcher(t *testing.T, fake *auth0.Fake, secret string) *Fetcher {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, err := ParseConfig([]byte(`{"authorization":["0123456789abcdef"],"domain":"` + srv.URL + `","client_id":"cid","client_secret":"` + secret + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFetcher(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchCachesTheToken(t *testing.T) {
	fake := auth0.NewFake("cid", "sec")
	fake.Put(&profile.Profile{Sub: jane, Email: "jane.doe@example.com", EmailVerified: true, GivenName: "Jane",
		PhoneNumber: "+4915112345678", Custom: map[string]any{"newsletter": true}})
	f := fetcher(t, fake, "sec")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := f.Fetch(context.Background(), jane)
			if err != nil || p.Sub != jane || p.Email != "jane.doe@example.com" || !p.EmailVerified || p.PhoneNumber != "+4915112345678" ||
				p.Custom["user_metadata"].(map[string]any)["newsletter"] != true {
				t.Errorf("%+v %v", p, err)
			}
		}()
	}
	wg.Wait()
	if n := fake.TokenCalls(); n != 1 {
		t.Fatalf("%d token requests for 8 fetches, want 1", n)
	}
	// A revoked token is replaced once, transparently.
	fake.ExpireTokens()
	if _, err := f.Fetch(context.Background(), jane); err != nil || fake.TokenCalls() != 2 {
		t.Fatalf("%v, %d token calls", err, fake.TokenCalls())
	}
	// An expired one is replaced before use.
	f.now = func() time.Time { return time.Now().Add(auth0.TokenTTL) }
	if _, err := f.Fetch(context.Background(), jane); err != nil || fake.TokenCalls() != 3 {
		t.Fatalf("%v, %d token calls", err, fake.TokenCalls())
	}
}

func TestFetchErrors(t *testing.T) {
	fake := auth0.NewFake("cid", "sec")
	fake.Put(&profile.Profile{Sub: jane})
	f := fetcher(t, fake, "sec")
	ctx := context.Background()
	if _, err := f.Fetch(ctx, "auth0|nobody"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := fetcher(t, fake, "wrong").Fetch(ctx, jane); fault.ClassOf(err) != fault.Auth || fault.As(err).Code != "access_denied" {
		t.Errorf("wrong client secret: %v", err)
	}
	fake.FailNext(1, 429, 4*time.Second)
	if _, err := f.Fetch(ctx, jane); fault.ClassOf(err) != fault.Throttled || fault.As(err).RetryAfter < 3*time.Second || fault.As(err).RetryAfter > 5*time.Second {
		t.Errorf("throttled: %v", err)
	}
	fake.FailNext(1, 503, 0)
	if _, err := f.Fetch(ctx, jane); fault.ClassOf(err) != fault.Transient {
		t.Errorf("unavailable: %v", err)
	}
	if _, err := f.Fetch(ctx, ""); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
}
