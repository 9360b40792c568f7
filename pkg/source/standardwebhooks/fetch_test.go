package standardwebhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
)

func TestFetcherOptional(t *testing.T) {
	f, err := NewFetcher(Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nil)
	if err != nil || f != nil {
		t.Fatalf("want nil fetcher without api_url, got %v %v", f, err)
	}
}

func TestClerkFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_test_x" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/v1/users/user_1":
			_, _ = w.Write([]byte(`{"id":"user_1","first_name":"Jane","primary_email_address_id":"e1",
				"email_addresses":[{"id":"e1","email_address":"j@example.com","verification":{"status":"verified"}}]}`))
		case "/v1/users/busy":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"errors":[{"code":"too_many_requests","message":"slow down"}]}`))
		case "/v1/users/down":
			w.WriteHeader(503)
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"errors":[{"code":"resource_not_found","message":"not found"}]}`))
		}
	}))
	defer srv.Close()
	f, err := NewFetcher(Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, APIURL: srv.URL, APIKey: "sk_test_x"}, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Fetch(context.Background(), "user_1")
	if err != nil || p.Email != "j@example.com" || !p.EmailVerified || p.GivenName != "Jane" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := f.Fetch(context.Background(), "nobody"); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	if _, err := f.Fetch(context.Background(), "busy"); fault.As(err).Class != fault.Throttled || fault.As(err).RetryAfter != 3*time.Second {
		t.Fatalf("want throttled, got %v", err)
	}
	if _, err := f.Fetch(context.Background(), "down"); fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want transient, got %v", err)
	}
}
