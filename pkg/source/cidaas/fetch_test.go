package cidaas

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/source"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newFetcher(t *testing.T) (*Fetcher, *fake.Fake, *clock) {
	t.Helper()
	fk := fake.NewFake("cid", "csecret")
	// Mounted under a prefix, as the dev stack does.
	mux := http.NewServeMux()
	mux.Handle("/cidaas/", http.StripPrefix("/cidaas", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := Config{Auth: AuthAPIKey, APIKey: "k", BaseURL: srv.URL + "/cidaas", ClientID: "cid", ClientSecret: "csecret"}
	f, err := NewFetcher(cfg, egress.Client(egress.Local, 5*time.Second), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return f, fk, clk
}

func TestFetchMapsUser(t *testing.T) {
	f, fk, _ := newFetcher(t)
	upd := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	want := &profile.Profile{
		Sub: "s1", GivenName: "Jane", FamilyName: "Doe", Email: "jane@example.com", EmailVerified: true,
		PhoneNumber: "+4915100000000", PhoneNumberVerified: true, Locale: "de-DE", Birthdate: "1990-04-01",
		UpdatedAt: &upd, Custom: map[string]any{"crm_id": "0035g"}, Consents: map[string]profile.Consent{"newsletter": {Granted: true}},
	}
	fk.Put(want)
	got, err := f.Fetch(context.Background(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sub != want.Sub || got.Email != want.Email || !got.EmailVerified || got.GivenName != "Jane" || got.FamilyName != "Doe" ||
		got.PhoneNumber != want.PhoneNumber || !got.PhoneNumberVerified || got.Locale != "de-DE" || got.Birthdate != "1990-04-01" ||
		got.UpdatedAt == nil || !got.UpdatedAt.Equal(upd) || got.Custom["crm_id"] != "0035g" || !got.Consents["newsletter"].Granted {
		t.Fatalf("got %+v", got)
	}
}

func TestFetchTokenCaching(t *testing.T) {
	f, fk, clk := newFetcher(t)
	fk.Put(&profile.Profile{Sub: "s1"})
	for range 2 {
		if _, err := f.Fetch(context.Background(), "s1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := fk.TokenCalls(); n != 1 {
		t.Fatalf("two fetches made %d token calls, want 1", n)
	}
	// The fake issues 1 h tokens; at 59 min the 60 s margin forces a new one.
	clk.Add(58 * time.Minute)
	_, _ = f.Fetch(context.Background(), "s1")
	clk.Add(time.Minute)
	_, _ = f.Fetch(context.Background(), "s1")
	if n := fk.TokenCalls(); n != 2 {
		t.Fatalf("token calls = %d, want 2 after the margin", n)
	}
}

func TestFetchRefreshesOnceOn401(t *testing.T) {
	f, fk, _ := newFetcher(t)
	fk.Put(&profile.Profile{Sub: "s1"})
	if _, err := f.Fetch(context.Background(), "s1"); err != nil {
		t.Fatal(err)
	}
	fk.ExpireTokens()
	if _, err := f.Fetch(context.Background(), "s1"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := fk.TokenCalls(); n != 2 {
		t.Fatalf("token calls = %d, want 2", n)
	}
	if n := fk.Calls("/users-srv/user/s1"); n != 3 {
		t.Fatalf("user calls = %d, want 3 (ok, 401, retry)", n)
	}
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fake.Fake)
		check func(t *testing.T, err error)
	}{
		{"unknown subject", func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"503", func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 with Retry-After", func(fk *fake.Fake) { fk.FailNext(1, 429, 7*time.Second) }, func(t *testing.T, err error) {
			fe := fault.As(err)
			if fe.Class != fault.Throttled || fe.RetryAfter != 7*time.Second {
				t.Fatalf("want throttled 7s, got %v (%v)", err, fe.RetryAfter)
			}
		}},
		{"persistent 401 is auth", func(fk *fake.Fake) { fk.FailNext(1, 401, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Auth {
				t.Fatalf("want auth, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk, _ := newFetcher(t)
			tt.setup(fk)
			_, err := f.Fetch(context.Background(), "nobody")
			tt.check(t, err)
		})
	}
}

func TestFetchBadClientSecret(t *testing.T) {
	f, _, _ := newFetcher(t)
	f.cfg.ClientSecret = "wrong"
	_, err := f.Fetch(context.Background(), "s1")
	if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "invalid_client" {
		t.Fatalf("want auth invalid_client, got %v", err)
	}
}

func TestDecodeUserBare(t *testing.T) {
	p, err := decodeUser([]byte(`{"sub":"s1","email":"a@example.com","phone_number":"+1","birthdate":"1990-04-01T00:00:00Z","updated_at":1735725600,
		"consents":[{"consent_name":"terms","status":"ACCEPTED","version":"2"},{"name":"ads","accepted":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Sub != "s1" || p.PhoneNumber != "+1" || p.Birthdate != "1990-04-01" || p.UpdatedAt.Unix() != 1735725600 ||
		!p.Consents["terms"].Granted || p.Consents["terms"].Version != "2" || p.Consents["ads"].Granted {
		t.Fatalf("%+v", p)
	}
}
