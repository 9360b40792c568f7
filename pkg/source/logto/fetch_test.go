package logto

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
	fake "github.com/profilesync/profilesync/pkg/sandbox/logto"
	"github.com/profilesync/profilesync/pkg/source"
)

const resource = "https://default.logto.app/api"

func newFetcher(t *testing.T, secret, res string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("m2m", "csecret", resource)
	mux := http.NewServeMux()
	mux.Handle("/logto/", http.StripPrefix("/logto", fk)) // mounted under a prefix, as the local stack does
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{SigningKey: "k", Endpoint: srv.URL + "/logto", Resource: res, ClientID: "m2m", ClientSecret: secret}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, fk
}

func TestFetchMapsUser(t *testing.T) {
	f, fk := newFetcher(t, "csecret", resource)
	upd := time.UnixMilli(1735725600000).UTC()
	jane := &profile.Profile{Sub: "u1", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe", Email: "j@example.com", EmailVerified: true,
		PhoneNumber: "+4915112345678", PhoneNumberVerified: true, Locale: "de-DE", Birthdate: "1990-04-01",
		Address:   &profile.Address{StreetAddress: "Hauptstr. 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"},
		UpdatedAt: &upd, Custom: map[string]any{"crm_id": "0035g"}}
	fk.Put(jane)
	got, err := f.Fetch(context.Background(), "u1")
	if err != nil || !reflect.DeepEqual(got, jane) {
		t.Fatalf("got  %+v\nwant %+v (%v)", got, jane, err)
	}
	fk.ExpireTokens()
	if _, err := f.Fetch(context.Background(), "u1"); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := fk.Calls("/oidc/token"); n != 2 {
		t.Errorf("%d token calls, want 2 (one cached read, one refresh)", n)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name, secret, resource string
		setup                  func(*fake.Fake)
		class                  fault.Class
		notFnd                 bool
	}{
		{name: "unknown user", secret: "csecret", resource: resource, notFnd: true},
		{name: "wrong client secret", secret: "guess", resource: resource, class: fault.Auth},
		{name: "wrong resource", secret: "csecret", resource: "https://other/api", class: fault.Permanent},
		{name: "throttled", secret: "csecret", resource: resource, setup: func(f *fake.Fake) { f.FailNext(1, 429, time.Second) }, class: fault.Throttled},
		{name: "down", secret: "csecret", resource: resource, setup: func(f *fake.Fake) { f.FailNext(1, 502, 0) }, class: fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.secret, tt.resource)
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
