package scim

import (
	"context"
	"errors"
	"net/http"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

const (
	coreSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
)

// janeUser is a User with every attribute Fetch maps, as a provisioning
// client would POST it.
func janeUser(userName string) map[string]any {
	return map[string]any{
		"schemas":     []string{coreSchema, EnterpriseExtension, DefaultExtension},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Jane", "familyName": "Doe", "middleName": "Q"},
		"displayName": "Jane Q. Doe",
		"nickName":    "JD",
		"locale":      "de-DE",
		"timezone":    "Europe/Berlin",
		"active":      false,
		"emails": []any{
			map[string]any{"value": "jane.work@example.com", "type": "work"},
			map[string]any{"value": "jane@example.org", "type": "home", "primary": true},
		},
		"phoneNumbers": []any{map[string]any{"value": "+49 30 1234567", "type": "mobile", "primary": true}},
		"addresses": []any{map[string]any{"streetAddress": "Unter den Linden 1", "locality": "Berlin",
			"postalCode": "10117", "country": "DE", "primary": true}},
		EnterpriseExtension: map[string]any{"employeeNumber": "E-42", "department": "Cardiology"},
		DefaultExtension:    map[string]any{"hcp_status": "pending", "tier": "gold", "verification_attempts_remaining": 3},
	}
}

// Fetch reads a User the real SCIM server validated and stored, and maps
// every attribute the package documents.
func TestFetchMapsAUser(t *testing.T) {
	s := newStand(t)
	id := s.create(janeUser("jane"))
	p, err := s.fetcher("").Fetch(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := &profile.Profile{
		Sub: id, PreferredUsername: "jane", GivenName: "Jane", FamilyName: "Doe", MiddleName: "Q",
		Name: "Jane Q. Doe", Nickname: "JD", Locale: "de-DE", Zoneinfo: "Europe/Berlin",
		Email: "jane@example.org", PhoneNumber: "+49 30 1234567",
		Address: &profile.Address{StreetAddress: "Unter den Linden 1", Locality: "Berlin", PostalCode: "10117", Country: "DE"},
		Custom: map[string]any{
			"hcp_status": "pending", "tier": "gold", "verification_attempts_remaining": float64(3),
			"enterprise": map[string]any{"employeeNumber": "E-42", "department": "Cardiology"},
			"active":     false,
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("Fetch =\n%+v\nwant\n%+v", p, want)
	}
}

// The RFC 7643 §8.2 full User, as a CIAM that sends more than the sandbox
// keeps (a verified flag on the e-mail, meta.lastModified): the golden
// wire format of the mapping.
func TestToProfileFullUser(t *testing.T) {
	raw, err := os.ReadFile("testdata/full-user.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := toProfile(raw, DefaultExtension)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2011, 5, 13, 4, 42, 34, 0, time.UTC)
	want := &profile.Profile{
		Sub: "2819c223-7f76-453a-919d-413861904646", PreferredUsername: "bjensen@example.com",
		GivenName: "Barbara", FamilyName: "Jensen", MiddleName: "Jane", Name: "Babs Jensen", Nickname: "Babs",
		Website: "https://login.example.com/bjensen", Picture: "https://photos.example.com/profilephoto/72930000000Ccne/F",
		Email: "babs@jensen.org", EmailVerified: true, PhoneNumber: "555-555-5555",
		Locale: "en-US", Zoneinfo: "America/Los_Angeles", UpdatedAt: &at,
		Address: &profile.Address{Formatted: "100 Universal City Plaza\nHollywood, CA 91608 USA", StreetAddress: "100 Universal City Plaza",
			Locality: "Hollywood", Region: "CA", PostalCode: "91608", Country: "USA"},
		Custom: map[string]any{
			"hcp_status": "verified", "verification_attempts_remaining": float64(2), "active": true,
			"enterprise": map[string]any{"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
				"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}},
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("toProfile =\n%+v\nwant\n%+v", p, want)
	}
	for name, body := range map[string]string{"no id": `{"userName":"x"}`, "not an object": `[1]`, "not JSON": `{`} {
		if _, err := toProfile([]byte(body), DefaultExtension); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFetchUnknownUserIsNotFound(t *testing.T) {
	s := newStand(t)
	f := s.fetcher("")
	if _, err := f.Fetch(context.Background(), "no-such-user"); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("Fetch = %v, want ErrNotFound", err)
	}
	if err := f.Update(context.Background(), "no-such-user", map[string]any{"tier": "gold"}); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("Update = %v, want ErrNotFound", err)
	}
}

// Failures are classified by status: the sandbox's own 401 for a wrong
// token, and injected 429, 500 and 503 in front of it.
func TestErrorsAreClassified(t *testing.T) {
	s := newStand(t)
	id := s.create(janeUser("jane"))
	ctx := context.Background()

	cfg, err := ParseConfig(s.secret(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Token = "wrong-token"
	_, bad, err := New("scim-test", cfg, s.fetcher("").hc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Fetch(ctx, id); err == nil || fault.ClassOf(err) != fault.Auth || fault.As(err).Status != http.StatusUnauthorized {
		t.Errorf("wrong token: %v (class %v), want auth", err, fault.ClassOf(err))
	}

	f := s.fetcher("")
	tests := []struct {
		name   string
		status int
		header http.Header
		class  fault.Class
		after  time.Duration
	}{
		{"throttled", http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, fault.Throttled, 7 * time.Second},
		{"server error", http.StatusInternalServerError, nil, fault.Transient, 0},
		{"unavailable", http.StatusServiceUnavailable, nil, fault.Transient, 0},
		{"bad gateway", http.StatusBadGateway, nil, fault.Transient, 0},
	}
	calls := map[string]func() error{
		"fetch":  func() error { _, err := f.Fetch(ctx, id); return err },
		"update": func() error { return f.Update(ctx, id, map[string]any{"tier": "silver"}) },
		"list":   func() error { _, _, err := f.List(ctx, "", 0); return err },
	}
	for _, tt := range tests {
		for call, do := range calls {
			s.failNext(1, tt.status, tt.header)
			err := do()
			if err == nil {
				t.Errorf("%s %s: no error", tt.name, call)
				continue
			}
			fe := fault.As(err)
			if fault.ClassOf(err) != tt.class || fe.Status != tt.status || fe.RetryAfter != tt.after {
				t.Errorf("%s %s: %v (class %v, retry after %v), want %v after %v", tt.name, call, err, fault.ClassOf(err), fe.RetryAfter, tt.class, tt.after)
			}
		}
	}
	// The injected failures are spent: the user reads again.
	if _, err := f.Fetch(ctx, id); err != nil {
		t.Fatalf("after the failures: %v", err)
	}
}
