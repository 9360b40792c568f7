package gigya

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/gigya"
	"github.com/profilesync/profilesync/pkg/source"
)

func TestFetchMapsAccount(t *testing.T) {
	fk, cfg, hc := newSite(t)
	f := mustFetcher(t, cfg, hc)
	upd := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	jane := &profile.Profile{Sub: "u-jane", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe", Email: "jane@example.com", EmailVerified: true,
		Gender: "female", Locale: "de", Birthdate: "1990-04-01", PhoneNumber: "+4915112345678",
		Address:   &profile.Address{StreetAddress: "Hauptstr. 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"},
		UpdatedAt: &upd, Custom: map[string]any{"tier": "gold", "claims": map[string]any{"npi": "verified"}},
		Consents: map[string]profile.Consent{"newsletter": {Granted: true}, "terms.tos": {Granted: false, Version: "2", At: &upd}}}
	fk.Put(jane)
	got, err := f.Fetch(context.Background(), "u-jane")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, jane) {
		t.Fatalf("got  %+v\nwant %+v", got, jane)
	}
	// An account as SAP documents it: a year of birth only, a home phone
	// beside the mobile one, an unverified address.
	fk.PutAccount("u-raw", map[string]any{"lastUpdatedTimestamp": 1735725600000, "profile": map[string]any{"email": "m@example.com",
		"firstName": "Max", "birthYear": 1980, "gender": "u",
		"phones": []any{map[string]any{"type": "home", "number": "+431"}, map[string]any{"type": "mobile", "number": "+436"}}},
		"emails": map[string]any{"verified": []any{}, "unverified": []any{"m@example.com"}}})
	got, err = f.Fetch(context.Background(), "u-raw")
	at := time.Unix(1735725600, 0).UTC()
	want := &profile.Profile{Sub: "u-raw", Name: "Max", GivenName: "Max", Email: "m@example.com", Birthdate: "1980", PhoneNumber: "+436", UpdatedAt: &at}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v (%v)\nwant %+v", got, err, want)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*fake.Fake, *Config)
		class  fault.Class
		notFnd bool
	}{
		{name: "unknown UID (403005)", notFnd: true},
		{name: "wrong secret (403003)", setup: func(_ *fake.Fake, c *Config) { c.Secret = "b3RoZXItZ2lneWEtcGFydG5lci1zZWNyZXQtYnl0ZXM=" }, class: fault.Auth},
		{name: "wrong user key", setup: func(_ *fake.Fake, c *Config) { c.UserKey = "other" }, class: fault.Auth},
		{name: "unknown API key (400093)", setup: func(_ *fake.Fake, c *Config) { c.APIKey = "3_Other" }, class: fault.Permanent},
		{name: "rate limit (403048)", setup: func(f *fake.Fake, _ *Config) { f.FailNext(1, fake.CodeRateLimit) }, class: fault.Throttled},
		{name: "rate limit (403047)", setup: func(f *fake.Fake, _ *Config) { f.FailNext(1, 403047) }, class: fault.Throttled},
		{name: "server error (500001)", setup: func(f *fake.Fake, _ *Config) { f.FailNext(1, fake.CodeServerError) }, class: fault.Transient},
		{name: "timeout (504002)", setup: func(f *fake.Fake, _ *Config) { f.FailNext(1, 504002) }, class: fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk, cfg, hc := newSite(t)
			if tt.setup != nil {
				tt.setup(fk, &cfg)
			}
			_, err := mustFetcher(t, cfg, hc).Fetch(context.Background(), "nobody")
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

// What a proxy or load balancer answers in front of Gigya keeps its HTTP
// class; the body of a Gigya error never quotes the UID asked for.
func TestFetchHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("UID") == "down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`not json`))
	}))
	defer srv.Close()
	f := mustFetcher(t, Config{APIKey: siteKey, BaseURL: srv.URL, Secret: testSecret}, egress.Client(egress.Local, 5*time.Second))
	if _, err := f.Fetch(context.Background(), "down"); fault.ClassOf(err) != fault.Transient {
		t.Errorf("503: %v", err)
	}
	if _, err := f.Fetch(context.Background(), "x"); fault.ClassOf(err) != fault.Transient {
		t.Errorf("not json: %v", err)
	}
	if _, err := f.Fetch(context.Background(), ""); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
}

// A base_url the production egress policy refuses fails when the source
// is built, naming the field.
func TestFetcherChecksEgress(t *testing.T) {
	_, err := NewFetcher(Config{APIKey: siteKey, BaseURL: "http://127.0.0.1:3000/sandbox/gigya", Secret: testSecret}, nil)
	if err == nil || !strings.Contains(err.Error(), `"base_url"`) {
		t.Fatalf("%v", err)
	}
}
