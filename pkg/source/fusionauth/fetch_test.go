package fusionauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/fusionauth"
	"github.com/profilesync/profilesync/pkg/source"
)

func newFetcher(t *testing.T, key, tenant string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("api-key-good")
	mux := http.NewServeMux()
	mux.Handle("/fusionauth/", http.StripPrefix("/fusionauth", fk)) // mounted under a prefix, as the local stack does
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{HMACKeys: []string{testKey}, APIURL: srv.URL + "/fusionauth", APIKey: key, TenantID: tenant}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, fk
}

func TestFetchMapsUser(t *testing.T) {
	f, fk := newFetcher(t, "api-key-good", "")
	fk.PutUser("u-1", map[string]any{"email": "jane@example.com", "verified": true, "firstName": "Jane", "lastName": "Doe",
		"birthDate": "1990-04-01", "mobilePhone": "+4915100000000", "preferredLanguages": []string{"de_DE"}, "active": false,
		"lastUpdateInstant": 1735725900400, "data": map[string]any{"newsletter": true}})
	got, err := f.Fetch(context.Background(), "u-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Sub != "u-1" || got.Name != "Jane Doe" || got.Email != "jane@example.com" || !got.EmailVerified || got.Birthdate != "1990-04-01" ||
		got.PhoneNumber != "+4915100000000" || got.Locale != "de-DE" || got.Custom["newsletter"] != true || got.Custom["active"] != false ||
		got.UpdatedAt == nil || !got.UpdatedAt.Equal(time.UnixMilli(1735725900400)) {
		t.Fatalf("%+v", got)
	}
}

func TestFetchErrors(t *testing.T) {
	f, fk := newFetcher(t, "api-key-good", "")
	if _, err := f.Fetch(context.Background(), "nobody"); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	bad, _ := newFetcher(t, "api-key-bad", "")
	var fe *fault.Error
	if _, err := bad.Fetch(context.Background(), "u-1"); !errors.As(err, &fe) || fe.Class != fault.Auth {
		t.Fatalf("wrong key: %v", err)
	}
	fk.PutUser("u-1", map[string]any{"email": "a@example.com"})
	fk.FailNext(1, http.StatusServiceUnavailable, 0)
	if _, err := f.Fetch(context.Background(), "u-1"); !errors.As(err, &fe) || fe.Class != fault.Transient {
		t.Fatalf("503: %v", err)
	}
	fk.FailNext(1, http.StatusTooManyRequests, 2*time.Second)
	if _, err := f.Fetch(context.Background(), "u-1"); !errors.As(err, &fe) || fe.Class != fault.Throttled || fe.RetryAfter != 2*time.Second {
		t.Fatalf("429: %v", err)
	}
	if _, err := f.Fetch(context.Background(), ""); !errors.As(err, &fe) || fe.Class != fault.Permanent {
		t.Fatalf("empty subject: %v", err)
	}
	if n := fk.Calls("/api/user/u-1"); n != 2 {
		t.Fatalf("%d calls to the user", n)
	}
}

func TestFetchSendsTheTenant(t *testing.T) {
	f, fk := newFetcher(t, "api-key-good", "t-1")
	fk.PutUser("u-1", map[string]any{"email": "a@example.com"})
	fk.SetTenant("t-1")
	if _, err := f.Fetch(context.Background(), "u-1"); err != nil {
		t.Fatal(err)
	}
	fk.SetTenant("t-2")
	var fe *fault.Error
	if _, err := f.Fetch(context.Background(), "u-1"); !errors.As(err, &fe) || fe.Class != fault.Auth {
		t.Fatalf("another tenant's key: %v", err)
	}
}
