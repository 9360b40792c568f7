package keycloak

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/keycloak"
	"github.com/profilesync/profilesync/pkg/source"
)

func newFetcher(t *testing.T, realm, secret string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("acme", "profilesync", "csecret")
	mux := http.NewServeMux()
	mux.Handle("/kc/", http.StripPrefix("/kc", fk)) // mounted under a prefix, as the local stack does
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{Secret: "x", BaseURL: srv.URL + "/kc", Realm: realm, ClientID: "profilesync", ClientSecret: secret}
	f, err := NewFetcher(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, fk
}

func TestFetchMapsUser(t *testing.T) {
	f, fk := newFetcher(t, "acme", "csecret")
	fk.PutUser("u1", map[string]any{"username": "jane.doe", "email": "jane@example.com", "emailVerified": true,
		"firstName": "Jane", "lastName": "Doe", "enabled": false, "createdTimestamp": 1735725600000,
		"attributes": map[string][]string{"locale": {"de"}, "phoneNumber": {"+4915100000000"}, "locality": {"Berlin"},
			"crm_id": {"0035g"}, "segments": {"a", "b"}, "empty": {}}})
	got, err := f.Fetch(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := &profile.Profile{Sub: "u1", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe", PreferredUsername: "jane.doe",
		Email: "jane@example.com", EmailVerified: true, Locale: "de", PhoneNumber: "+4915100000000",
		Address: &profile.Address{Locality: "Berlin"},
		Custom:  map[string]any{"crm_id": "0035g", "segments": []any{"a", "b"}, "enabled": false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// The fake's rendering of a profile reads back as the same profile.
	jane := &profile.Profile{Sub: "u2", GivenName: "Jane", FamilyName: "Doe", Name: "Jane Doe", Email: "j@example.com",
		PreferredUsername: "j@example.com", Locale: "de-DE", Address: &profile.Address{Country: "DE", PostalCode: "10115"}}
	fk.Put(jane)
	if got, err := f.Fetch(context.Background(), "u2"); err != nil || !reflect.DeepEqual(got, jane) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if n := fk.Calls("/realms/acme/protocol/openid-connect/token"); n != 1 {
		t.Errorf("%d token calls for two reads, want 1 (cached)", n)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name   string
		realm  string
		secret string
		setup  func(*fake.Fake)
		class  fault.Class
		notFnd bool
	}{
		{name: "unknown user", realm: "acme", secret: "csecret", notFnd: true},
		{name: "wrong client secret", realm: "acme", secret: "guess", class: fault.Auth},
		{name: "unknown realm", realm: "other", secret: "csecret", class: fault.Permanent},
		{name: "throttled", realm: "acme", secret: "csecret", setup: func(f *fake.Fake) { f.FailNext(1, 429, 2*time.Second) }, class: fault.Throttled},
		{name: "down", realm: "acme", secret: "csecret", setup: func(f *fake.Fake) { f.FailNext(1, 503, 0) }, class: fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.realm, tt.secret)
			if tt.setup != nil {
				tt.setup(fk)
			}
			_, err := f.Fetch(context.Background(), "nobody")
			if tt.notFnd {
				if !errors.Is(err, source.ErrNotFound) {
					t.Fatalf("want ErrNotFound, got %v", err)
				}
				return
			}
			if err == nil || errors.Is(err, source.ErrNotFound) || fault.ClassOf(err) != tt.class {
				t.Fatalf("want class %v, got %v (%v)", tt.class, fault.ClassOf(err), err)
			}
		})
	}
}

// A token revoked before its expiry is replaced once, and the read succeeds.
func TestFetchRefreshesRevokedToken(t *testing.T) {
	f, fk := newFetcher(t, "acme", "csecret")
	fk.PutUser("u1", map[string]any{"username": "j"})
	if _, err := f.Fetch(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	fk.ExpireTokens()
	if _, err := f.Fetch(context.Background(), "u1"); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := fk.Calls("/realms/acme/protocol/openid-connect/token"); n != 2 {
		t.Errorf("%d token calls, want 2", n)
	}
}
