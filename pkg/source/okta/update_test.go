package okta

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/sandbox/okta"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

const oktaID = "00u9zyxwVUTS8765rqp4"

func seedOkta(fake *okta.Fake) {
	fake.PutUser(oktaID, map[string]any{"status": "ACTIVE", "lastUpdated": "2025-01-01T10:05:00.000Z",
		"profile": map[string]any{"login": "jane.doe@example.com", "email": "jane.doe@example.com", "firstName": "Jane",
			"loyaltyTier": "gold", "crmId": "0035g"}})
}

func TestUpdateRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCustom map[string]any
	}{
		{"scalars", map[string]any{"hcpVerdict": "verified", "hcpScore": 3, "hcpActive": true},
			map[string]any{"okta_status": "ACTIVE", "loyaltyTier": "gold", "crmId": "0035g", "hcpVerdict": "verified", "hcpScore": 3, "hcpActive": true}},
		{"nil clears", map[string]any{"loyaltyTier": nil},
			map[string]any{"okta_status": "ACTIVE", "crmId": "0035g"}},
		{"array", map[string]any{"hcpSources": []any{"a", "b"}},
			map[string]any{"okta_status": "ACTIVE", "loyaltyTier": "gold", "crmId": "0035g", "hcpSources": []any{"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := okta.NewFake("00tok")
			seedOkta(fake)
			sourcetest.CheckUpdate(t, fetcher(t, fake, "00tok"), oktaID, tt.attrs, tt.wantCustom)
			if ups := fake.Updates(); len(ups) != 1 || ups[0].UserID != oktaID || len(ups[0].Profile) != len(tt.attrs) {
				t.Fatalf("fake saw updates %+v", ups)
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	valid := map[string]any{"hcpVerdict": "verified"}
	permanent := func(t *testing.T, err error) {
		if fault.ClassOf(err) != fault.Permanent || errors.Is(err, source.ErrNotFound) {
			t.Fatalf("want permanent, got %v", err)
		}
	}
	tests := []struct {
		name    string
		token   string
		subject string
		attrs   map[string]any
		setup   func(*okta.Fake)
		check   func(t *testing.T, err error)
	}{
		{"unknown user", "00tok", "00unobody", valid, func(*okta.Fake) {}, func(t *testing.T, err error) {
			if !errors.Is(err, source.ErrNotFound) {
				t.Fatalf("want ErrNotFound, got %v", err)
			}
		}},
		// An SSWS token is static: 401 is a refused credential.
		{"wrong token", "00bad", oktaID, valid, func(*okta.Fake) {}, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Auth || fe.Code != "E0000011" {
				t.Fatalf("want auth, got %v", err)
			}
		}},
		{"503", "00tok", oktaID, valid, func(fk *okta.Fake) { fk.FailNext(1, 503, 0) }, func(t *testing.T, err error) {
			if fault.ClassOf(err) != fault.Transient {
				t.Fatalf("want transient, got %v", err)
			}
		}},
		{"429", "00tok", oktaID, valid, func(fk *okta.Fake) { fk.FailNext(1, 429, 30*time.Second) }, func(t *testing.T, err error) {
			if fe := fault.As(err); fe.Class != fault.Throttled || fe.RetryAfter <= 0 {
				t.Fatalf("want throttled with a delay, got %v", err)
			}
		}},
		{"nested object", "00tok", oktaID, map[string]any{"hcp": map[string]any{"verdict": "verified"}}, func(*okta.Fake) {}, permanent},
		{"base attribute", "00tok", oktaID, map[string]any{"email": "x@example.com"}, func(*okta.Fake) {}, permanent},
		{"okta_status", "00tok", oktaID, map[string]any{"okta_status": "SUSPENDED"}, func(*okta.Fake) {}, permanent},
		{"empty subject", "00tok", "", valid, func(*okta.Fake) {}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := okta.NewFake("00tok")
			seedOkta(fake)
			tt.setup(fake)
			err := fetcher(t, fake, tt.token).Update(context.Background(), tt.subject, tt.attrs)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
			if n := len(fake.Updates()); n != 0 {
				t.Fatalf("fake applied %d updates", n)
			}
		})
	}
}
