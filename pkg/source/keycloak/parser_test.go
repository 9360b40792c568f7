package keycloak

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// vector is test-vectors.json → keycloak_phasetwo, copied from the research notes.
type vector struct {
	Secret    string            `json:"shared_secret"`
	Algorithm string            `json:"algorithm"`
	Headers   map[string]string `json:"headers"`
	RawBody   string            `json:"raw_body"`
	SHA1      string            `json:"hmac_sha1_variant"`
}

func loadVector(t testing.TB) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// testConfig is a valid config around secret.
func testConfig(secret, alg string) Config {
	return Config{Environment: "prod", Secret: secret, Algorithm: alg, BaseURL: "https://sso.example.com",
		Realm: "acme", ClientID: "profilesync", ClientSecret: "s"}
}

func mustParser(t testing.TB, cfg Config) *Parser {
	t.Helper()
	p, err := NewParser("keycloak-acme", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func signed(secret, alg, body string) source.Request {
	h := http.Header{}
	h.Set(SignatureHeader, Signature(secret, alg, []byte(body)))
	return source.Request{Header: h, Body: []byte(body), Now: time.Unix(1735729300, 0).UTC()}
}

func TestVector(t *testing.T) {
	v := loadVector(t)
	now := time.Unix(1735729300, 0).UTC()
	tampered := strings.Replace(v.RawBody, "jane.doe@example.com", "eve@example.com", 1)
	tests := []struct {
		name      string
		secret    string
		alg       string
		signature string
		body      string
		ok        bool
	}{
		{"valid", v.Secret, AlgHmacSHA256, v.Headers["X-Keycloak-Signature"], v.RawBody, true},
		{"valid, upper-case hex", v.Secret, AlgHmacSHA256, strings.ToUpper(v.Headers["X-Keycloak-Signature"]), v.RawBody, true},
		{"valid HmacSHA1", v.Secret, AlgHmacSHA1, v.SHA1, v.RawBody, true},
		{"tampered body", v.Secret, AlgHmacSHA256, v.Headers["X-Keycloak-Signature"], tampered, false},
		{"wrong key", v.Secret + "x", AlgHmacSHA256, v.Headers["X-Keycloak-Signature"], v.RawBody, false},
		{"SHA-1 signature where SHA-256 is configured", v.Secret, AlgHmacSHA256, v.SHA1, v.RawBody, false},
		{"missing signature", v.Secret, AlgHmacSHA256, "", v.RawBody, false},
		{"not hex", v.Secret, AlgHmacSHA256, "sha256=" + v.Headers["X-Keycloak-Signature"], v.RawBody, false},
		{"truncated", v.Secret, AlgHmacSHA256, v.Headers["X-Keycloak-Signature"][:32], v.RawBody, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.signature != "" {
				h.Set("x-keycloak-signature", tt.signature)
			}
			evs, err := mustParser(t, testConfig(tt.secret, tt.alg)).Parse(context.Background(), source.Request{Header: h, Body: []byte(tt.body), Now: now})
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				return
			}
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v, %v", evs, err)
			}
			want := profile.Event{ID: "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", Source: "keycloak-acme", Type: profile.Created,
				Subject: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", OccurredAt: time.UnixMilli(1735725600123).UTC(), ReceivedAt: now,
				Environment: "prod", ClientID: "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", SourceType: "admin.USER-CREATE"}
			if got := evs[0]; got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseBodies(t *testing.T) {
	const secret = "keycloak-test-secret-0123"
	access, err := os.ReadFile("testdata/keycloak-phasetwo-access.UPDATE_PROFILE.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		want       error
		typ        profile.EventType // "" means no events
		sub, id    string            // id "": any (a body hash, TestBodyHashID)
	}{
		{name: "access UPDATE_PROFILE sample", body: string(access), typ: profile.Updated,
			sub: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", id: "6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b"},
		{name: "access REGISTER", body: `{"uid":"u1","time":1,"type":"access.REGISTER","authDetails":{"userId":"a"}}`, typ: profile.Created, sub: "a", id: "u1"},
		{name: "access DELETE_ACCOUNT", body: `{"uid":"u2","type":"access.DELETE_ACCOUNT","authDetails":{"userId":"a"}}`, typ: profile.Deleted, sub: "a", id: "u2"},
		{name: "admin USER-UPDATE by resource path", body: `{"uid":"u3","type":"admin.USER-UPDATE","resourcePath":"users/b/execute-actions-email","authDetails":{"userId":"admin"}}`,
			typ: profile.Updated, sub: "b", id: "u3"},
		{name: "admin USER-DELETE by details", body: `{"uid":"u4","type":"admin.USER-DELETE","details":{"userId":"c"},"resourcePath":"users/c","authDetails":{"userId":"admin"}}`,
			typ: profile.Deleted, sub: "c", id: "u4"},
		{name: "no uid: a body hash", body: `{"type":"access.UPDATE_EMAIL","authDetails":{"userId":"a"}}`, typ: profile.Updated, sub: "a"},
		{name: "login ignored", body: `{"uid":"u5","type":"access.LOGIN","authDetails":{"userId":"a"}}`},
		{name: "error variant ignored", body: `{"uid":"u6","type":"access.UPDATE_PROFILE_ERROR","authDetails":{"userId":"a"},"error":"invalid_user"}`},
		{name: "group admin event ignored", body: `{"uid":"u7","type":"admin.GROUP_MEMBERSHIP-CREATE","resourcePath":"users/a/groups/g"}`},
		{name: "no type", body: `{"uid":"u8"}`, want: source.ErrMalformed},
		{name: "bad json", body: `{"type":"access.REGISTER",`, want: source.ErrMalformed},
		{name: "access event without user", body: `{"type":"access.UPDATE_PROFILE","authDetails":{}}`, want: source.ErrMalformed},
		{name: "admin event on another resource path", body: `{"type":"admin.USER-UPDATE","resourcePath":"groups/g"}`, want: source.ErrMalformed},
	}
	p := mustParser(t, testConfig(secret, ""))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), signed(secret, "", tt.body))
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("want %v, got %v", tt.want, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.typ == "" {
				if evs != nil {
					t.Fatalf("want no events, got %+v", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("%+v", evs)
			}
			e := evs[0]
			if e.Type != tt.typ || e.Subject != tt.sub || e.Profile != nil || (tt.id != "" && e.ID != tt.id) || e.ID == "" {
				t.Fatalf("%+v", e)
			}
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Two deliveries without uid get different ids unless the bodies are equal.
func TestBodyHashID(t *testing.T) {
	const secret = "keycloak-test-secret-0123"
	p := mustParser(t, testConfig(secret, ""))
	id := func(body string) string {
		evs, err := p.Parse(context.Background(), signed(secret, "", body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v %v", evs, err)
		}
		return evs[0].ID
	}
	a := `{"type":"access.UPDATE_EMAIL","time":1,"authDetails":{"userId":"a"}}`
	b := `{"type":"access.UPDATE_EMAIL","time":2,"authDetails":{"userId":"a"}}`
	if id(a) != id(a) || id(a) == id(b) || len(id(a)) != 64 {
		t.Fatalf("ids %s %s", id(a), id(b))
	}
}
