package okta

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/okta"
	"github.com/profilesync/profilesync/pkg/source"
)

func fetcher(t *testing.T, fake *okta.Fake, token string) *Fetcher {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, err := ParseConfig([]byte(`{"secrets":["0123456789abcdef"],"org_url":"` + srv.URL + `","api_token":"` + token + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFetcher(cfg, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetch(t *testing.T) {
	fake := okta.NewFake("00tok")
	// An Okta user as the Users API documents it, with a custom attribute.
	fake.PutUser("00u9zyxwVUTS8765rqp4", map[string]any{
		"status": "ACTIVE", "lastUpdated": "2025-01-01T10:05:00.000Z",
		"profile": map[string]any{"login": "jane.doe@example.com", "email": "jane.doe@example.com", "firstName": "Jane",
			"lastName": "Doe", "mobilePhone": "+4915112345678", "primaryPhone": "+493012345", "streetAddress": "Hauptstr. 1",
			"city": "Berlin", "zipCode": "10115", "countryCode": "DE", "locale": "de_DE", "timezone": "Europe/Berlin",
			"loyaltyTier": "gold", "secondEmail": nil},
		"credentials": map[string]any{"emails": []any{map[string]any{"value": "jane.doe@example.com", "status": "VERIFIED", "type": "PRIMARY"}}},
	})
	f := fetcher(t, fake, "00tok")
	p, err := f.Fetch(context.Background(), "00u9zyxwVUTS8765rqp4")
	if err != nil {
		t.Fatal(err)
	}
	upd := time.Date(2025, 1, 1, 10, 5, 0, 0, time.UTC)
	want := &profile.Profile{Sub: "00u9zyxwVUTS8765rqp4", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe",
		PreferredUsername: "jane.doe@example.com", Email: "jane.doe@example.com", EmailVerified: true,
		Zoneinfo: "Europe/Berlin", Locale: "de-DE", PhoneNumber: "+4915112345678",
		Address:   &profile.Address{StreetAddress: "Hauptstr. 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"},
		UpdatedAt: &upd, Custom: map[string]any{"loyaltyTier": "gold", "okta_status": "ACTIVE"}}
	got, _ := json.Marshal(p)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Fatalf("profile\n got %s\nwant %s", got, wantJSON)
	}
}

func TestFetchErrors(t *testing.T) {
	fake := okta.NewFake("00tok")
	fake.Put(&profile.Profile{Sub: "00u1", Email: "a@example.com"})
	f := fetcher(t, fake, "00tok")
	ctx := context.Background()

	if _, err := f.Fetch(ctx, "00u2"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := fetcher(t, fake, "wrong").Fetch(ctx, "00u1"); fault.ClassOf(err) != fault.Auth || fault.As(err).Code != "E0000011" {
		t.Errorf("wrong token: %v", err)
	}
	fake.FailNext(1, 429, 5*time.Second)
	if _, err := f.Fetch(ctx, "00u1"); fault.ClassOf(err) != fault.Throttled || fault.As(err).RetryAfter < 4*time.Second || fault.As(err).RetryAfter > 6*time.Second {
		t.Errorf("throttled: %v (retry after %v)", err, fault.As(err).RetryAfter)
	}
	fake.FailNext(1, 503, 0)
	if _, err := f.Fetch(ctx, "00u1"); fault.ClassOf(err) != fault.Transient {
		t.Errorf("unavailable: %v", err)
	}
	if _, err := f.Fetch(ctx, ""); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
	p, err := f.Fetch(ctx, "00u1")
	if err != nil || p.Email != "a@example.com" || p.EmailVerified || p.Custom["okta_status"] != "ACTIVE" {
		t.Fatalf("%+v %v", p, err)
	}
}
