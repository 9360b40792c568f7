package akamai

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
)

// newFakeServer mounts fk under /akamai, as the dev stack does.
func newFakeServer(t testing.TB, fk *fake.Fake) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/akamai/", http.StripPrefix("/akamai", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newFetcher(t *testing.T, secret string) (*Fetcher, *fake.Fake) {
	fk, err := fake.NewFake("cid", "csecret")
	if err != nil {
		t.Fatal(err)
	}
	srv := newFakeServer(t, fk)
	cfg := testConfig(srv.URL+"/akamai/login/jwk", "a")
	cfg.CaptureURL, cfg.ClientSecret = srv.URL+"/akamai", secret
	f, err := NewFetcher(cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f, fk
}

func TestFetchMapsRecord(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	fk.PutRecord("u1", map[string]any{
		"email": "jane@example.com", "emailVerified": "2025-01-01 10:00:00.123456 +0000", "givenName": "Jane",
		"familyName": "Doe", "displayName": "Jane D", "birthday": "1990-04-01", "gender": "female", "mobileNumber": "+15550100",
		"primaryAddress": map[string]any{"address1": "1 Main St", "city": "Springfield", "zip": "12345", "country": "US", "stateAbbreviation": "IL"},
		"consents":       map[string]any{"marketing": map[string]any{"granted": true, "updated": "2025-01-01 10:00:00 +0000"}},
		"lastUpdated":    "2025-01-02 03:04:05.000000 +0000", "password": map[string]any{"type": "password-bcrypt", "value": "x"},
		"id": 999, "loyaltyTier": "gold", "middleName": nil,
	})
	p, err := f.Fetch(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Sub != "u1" || !p.EmailVerified || p.Email != "jane@example.com" || p.Name != "Jane D" || p.Birthdate != "1990-04-01" ||
		p.PhoneNumber != "+15550100" || p.Address == nil || p.Address.Region != "IL" || p.Address.StreetAddress != "1 Main St" ||
		!p.Consents["marketing"].Granted || p.Consents["marketing"].At == nil || p.UpdatedAt == nil || p.UpdatedAt.Second() != 5 {
		t.Fatalf("%+v", p)
	}
	if len(p.Custom) != 1 || p.Custom["loyaltyTier"] != "gold" {
		t.Fatalf("custom = %v (password, id and nulls must stay out)", p.Custom)
	}
}

func TestFetchRoundTripsProfile(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	in := &profile.Profile{Sub: "u2", Email: "a@example.com", EmailVerified: true, GivenName: "A",
		Address: &profile.Address{Locality: "Berlin", Country: "DE"}, Custom: map[string]any{"tier": "x"}}
	fk.Put(in)
	p, err := f.Fetch(context.Background(), "u2")
	if err != nil || p.Email != in.Email || !p.EmailVerified || p.Address.Locality != "Berlin" || p.Custom["tier"] != "x" {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		setup  func(*fake.Fake)
		check  func(t *testing.T, err error)
	}{
		{"record_not_found", "csecret", func(*fake.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		{"bad credentials", "wrong", func(*fake.Fake) {}, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "invalid_client_credentials" {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "csecret", func(fk *fake.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429 Retry-After", "csecret", func(fk *fake.Fake) { fk.FailNext(1, 429, 5*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter != 5*time.Second {
				t.Fatalf("want throttled 5s, got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.secret)
			tt.setup(fk)
			_, err := f.Fetch(context.Background(), "nobody")
			tt.check(t, err)
		})
	}
}

func TestCaptureClass(t *testing.T) {
	for code, want := range map[int]fault.Class{100: fault.Permanent, 200: fault.Permanent, 361: fault.Permanent,
		402: fault.Auth, 414: fault.Auth, 500: fault.Transient, 510: fault.Transient} {
		if got := captureClass(code); got != want {
			t.Errorf("%d: %v, want %v", code, got, want)
		}
	}
}
