package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/entra"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

const (
	fakeTenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	fakeClient = "11111111-2222-3333-4444-555555555555"
	fakeSecret = "fake-client-secret"
	extApp     = "b2c1e2a3-0000-4000-8000-00000000000a"
)

func newFake() *entra.Fake {
	f := entra.NewFake(fakeTenant, fakeClient, fakeSecret)
	f.AddExtension(extApp, "loyaltyTier", "consentVersion")
	return f
}

func fetcher(t *testing.T, fake *entra.Fake, secret string) *Fetcher {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, err := ParseConfig(fmt.Appendf(nil, `{"client_states":["0123456789abcdef"],"tenant_id":%q,"client_id":%q,"client_secret":%q,
		"extensions_app_id":%q,"custom_attributes":["loyaltyTier","consentVersion"],"graph_url":%q,"login_url":%q}`,
		fakeTenant, fakeClient, secret, extApp, srv.URL, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFetcher(cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetch(t *testing.T) {
	fake := newFake()
	// An External ID customer as Graph documents the user, with a custom
	// attribute and an e-mail sign-in identity but no mail.
	fake.PutUser("4b6e2c1a-9d8f-4e7a-b3c2-1d0e9f8a7b6c", map[string]any{
		"displayName": "Jane Doe", "givenName": "Jane", "surname": "Doe", "mail": nil, "otherMails": []any{},
		"userPrincipalName": "4b6e2c1a@contoso.onmicrosoft.com", "mobilePhone": nil, "businessPhones": []any{"+493012345"},
		"streetAddress": "Hauptstr. 1", "city": "Berlin", "state": nil, "postalCode": "10115", "country": "DE",
		"preferredLanguage": "de-DE", "accountEnabled": true, "jobTitle": "Engineer",
		"identities": []any{
			map[string]any{"signInType": "userPrincipalName", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "4b6e2c1a@contoso.onmicrosoft.com"},
			map[string]any{"signInType": "emailAddress", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "jane.doe@example.com"},
		},
		entra.ExtensionName(extApp, "loyaltyTier"): "gold",
	})
	f := fetcher(t, fake, fakeSecret)
	p, err := f.Fetch(context.Background(), "4b6e2c1a-9d8f-4e7a-b3c2-1d0e9f8a7b6c")
	if err != nil {
		t.Fatal(err)
	}
	want := &profile.Profile{Sub: "4b6e2c1a-9d8f-4e7a-b3c2-1d0e9f8a7b6c", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe",
		PreferredUsername: "4b6e2c1a@contoso.onmicrosoft.com", Email: "jane.doe@example.com", Locale: "de-DE", PhoneNumber: "+493012345",
		Address: &profile.Address{StreetAddress: "Hauptstr. 1", Locality: "Berlin", PostalCode: "10115", Country: "DE"},
		Custom:  map[string]any{"loyaltyTier": "gold", AccountEnabledAttribute: true}}
	got, _ := json.Marshal(p)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Fatalf("profile\n got %s\nwant %s", got, wantJSON)
	}
}

func TestFetchErrors(t *testing.T) {
	fake := newFake()
	fake.Put(&profile.Profile{Sub: "u1", Email: "a@example.com"}, extApp)
	f := fetcher(t, fake, fakeSecret)
	ctx := context.Background()

	if _, err := f.Fetch(ctx, "u2"); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := fetcher(t, fake, "wrong").Fetch(ctx, "u1"); fault.ClassOf(err) != fault.Auth || fault.As(err).Code != "invalid_client" {
		t.Errorf("wrong client secret: %v", err)
	}
	fake.FailNext(1, 429, 5*time.Second)
	if _, err := f.Fetch(ctx, "u1"); fault.ClassOf(err) != fault.Throttled || fault.As(err).RetryAfter != 5*time.Second || fault.As(err).Code != "TooManyRequests" {
		t.Errorf("throttled: %v (retry after %v)", err, fault.As(err).RetryAfter)
	}
	fake.FailNext(1, 500, 0)
	if _, err := f.Fetch(ctx, "u1"); fault.ClassOf(err) != fault.Transient {
		t.Errorf("server error: %v", err)
	}
	if _, err := f.Fetch(ctx, ""); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("empty subject: %v", err)
	}
	// A token revoked before its expiry: one 401, a fresh token, success.
	fake.RevokeTokens()
	before := fake.Calls("/" + fakeTenant + "/oauth2/v2.0/token")
	p, err := f.Fetch(ctx, "u1")
	if err != nil || p.Email != "a@example.com" || p.Custom[AccountEnabledAttribute] != true {
		t.Fatalf("%+v %v", p, err)
	}
	if n := fake.Calls("/"+fakeTenant+"/oauth2/v2.0/token") - before; n != 1 {
		t.Errorf("%d token requests after a revocation, want 1", n)
	}
}

func TestList(t *testing.T) {
	fake := newFake()
	for i := range 5 {
		fake.Put(&profile.Profile{Sub: fmt.Sprintf("u%d", i), GivenName: "G", Custom: map[string]any{"loyaltyTier": "gold"}}, extApp)
	}
	f := fetcher(t, fake, fakeSecret)
	ctx := context.Background()
	var got []string
	cursor, pages := "", 0
	for {
		ps, next, err := f.List(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range ps {
			got = append(got, p.Sub)
			if p.Custom["loyaltyTier"] != "gold" {
				t.Errorf("%s without its extension: %+v", p.Sub, p.Custom)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != "[u0 u1 u2 u3 u4]" || pages != 3 {
		t.Fatalf("listed %v in %d pages", got, pages)
	}
	// Sizes beyond Graph's $top limit are capped, not refused.
	if ps, next, err := f.List(ctx, "", 5000); err != nil || len(ps) != 5 || next != "" {
		t.Fatalf("size 5000: %d %q %v", len(ps), next, err)
	}
	if _, _, err := f.List(ctx, "https://attacker.example/v1.0/users?$skiptoken=x", 2); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("foreign cursor: %v", err)
	}
	fake.FailNext(1, 429, 3*time.Second)
	if _, _, err := f.List(ctx, "", 2); fault.ClassOf(err) != fault.Throttled || fault.As(err).RetryAfter != 3*time.Second {
		t.Errorf("throttled: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	fake := newFake()
	fake.Put(&profile.Profile{Sub: "u1", Email: "a@example.com"}, extApp)
	f := fetcher(t, fake, fakeSecret)
	ctx := context.Background()
	sourcetest.CheckUpdate(t, f, "u1", map[string]any{"loyaltyTier": "platinum", "consentVersion": 3},
		map[string]any{"loyaltyTier": "platinum", "consentVersion": 3, AccountEnabledAttribute: true})
	patches := fake.Patches()
	if len(patches) != 1 || patches[0].Properties[entra.ExtensionName(extApp, "loyaltyTier")] != "platinum" {
		t.Fatalf("patches %+v", patches)
	}
	if err := f.Update(ctx, "u1", map[string]any{"loyaltyTier": nil}); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.Fetch(ctx, "u1"); p.Custom["loyaltyTier"] != nil || p.Custom["consentVersion"] != float64(3) {
		t.Fatalf("after clearing: %+v", p.Custom)
	}
	for name, attrs := range map[string]map[string]any{
		"not configured":  {"tier": "x"},
		"derived":         {AccountEnabledAttribute: false},
		"an object value": {"loyaltyTier": map[string]any{"a": 1}},
	} {
		if err := f.Update(ctx, "u1", attrs); fault.ClassOf(err) != fault.Permanent {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(fake.Patches()); n != 2 {
		t.Errorf("%d patches: a refused update reached Graph", n)
	}
	if err := f.Update(ctx, "u9", map[string]any{"loyaltyTier": "x"}); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	fake.FailNext(1, 429, time.Second)
	if err := f.Update(ctx, "u1", map[string]any{"loyaltyTier": "x"}); fault.ClassOf(err) != fault.Throttled {
		t.Errorf("throttled: %v", err)
	}
	if err := f.Update(ctx, "u1", nil); err != nil {
		t.Errorf("nothing to update: %v", err)
	}
}
