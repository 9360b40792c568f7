package logto

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// vector is test-vectors.json → logto, copied from the research notes.
type vector struct {
	SigningKey string            `json:"signing_key"`
	Headers    map[string]string `json:"headers"`
	RawBody    string            `json:"raw_body"`
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

func mustParser(t testing.TB, key string) *Parser {
	t.Helper()
	p, err := NewParser("logto-acme", Config{Environment: "prod", SigningKey: key, Endpoint: "https://acme.logto.app", ClientID: "m2m", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var now = time.Unix(1735726000, 0).UTC()

func signed(key, body string) source.Request {
	h := http.Header{}
	h.Set(SignatureHeader, Signature(key, []byte(body)))
	return source.Request{Header: h, Body: []byte(body), Now: now}
}

func TestVector(t *testing.T) {
	v := loadVector(t)
	sig := v.Headers["logto-signature-sha-256"]
	tests := []struct {
		name, key, sig, body string
		ok                   bool
	}{
		{"valid", v.SigningKey, sig, v.RawBody, true},
		{"tampered body", v.SigningKey, sig, strings.Replace(v.RawBody, "Jane", "Eve", 1), false},
		{"wrong key", v.SigningKey + "x", sig, v.RawBody, false},
		{"missing signature", v.SigningKey, "", v.RawBody, false},
		{"not hex", v.SigningKey, "sha256=" + sig, v.RawBody, false},
		{"body re-encoded", v.SigningKey, sig, strings.Replace(v.RawBody, `,"ip"`, `, "ip"`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set("logto-signature-sha-256", tt.sig)
			}
			evs, err := mustParser(t, tt.key).Parse(context.Background(), source.Request{Header: h, Body: []byte(tt.body), Now: now})
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				return
			}
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v, %v", evs, err)
			}
			e := evs[0]
			upd := time.UnixMilli(1735725900500).UTC()
			want := &profile.Profile{Sub: "u7x3k9p2q1wz", PreferredUsername: "janedoe", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe",
				Email: "jane.doe@example.com", EmailVerified: true, UpdatedAt: &upd, Custom: map[string]any{"crmId": "0035g00000XyZabAAB"}}
			if e.Type != profile.Updated || e.Subject != "u7x3k9p2q1wz" || e.Source != "logto-acme" || e.Environment != "prod" ||
				!e.OccurredAt.Equal(time.Date(2025, 1, 1, 10, 5, 0, 500e6, time.UTC)) || e.SourceType != "User.Data.Updated" ||
				len(e.ID) != 64 || !reflect.DeepEqual(e.Profile, want) {
				t.Fatalf("%+v\nprofile %+v", e, e.Profile)
			}
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseBodies(t *testing.T) {
	const key = "logto-test-signing-key"
	register, err := os.ReadFile("testdata/logto-PostRegister.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		want       error
		typ        profile.EventType // "" means no events
		sub        string
		snapshot   bool
	}{
		{name: "PostRegister sample: thin", body: string(register), typ: profile.Created, sub: "u7x3k9p2q1wz"},
		{name: "User.Created carries the user", body: `{"event":"User.Created","createdAt":"2025-01-01T10:00:00Z","data":{"id":"u1","primaryPhone":"4915100000000"}}`,
			typ: profile.Created, sub: "u1", snapshot: true},
		{name: "User.Deleted by params", body: `{"event":"User.Deleted","createdAt":"2025-01-01T10:00:00Z","params":{"userId":"u2"},"data":null}`, typ: profile.Deleted, sub: "u2"},
		{name: "User.Deleted by path", body: `{"event":"User.Deleted","path":"/users/u3","data":null}`, typ: profile.Deleted, sub: "u3"},
		{name: "PostSignIn ignored", body: `{"event":"PostSignIn","userId":"u1"}`},
		{name: "Role event ignored", body: `{"event":"Role.Created","data":{"id":"r1"}}`},
		{name: "Organization event with a non-user data ignored", body: `{"event":"Organization.Created","data":{"id":"o1","customData":[1]}}`},
		{name: "no event", body: `{"data":{}}`, want: source.ErrMalformed},
		{name: "no user", body: `{"event":"User.Deleted","data":null}`, want: source.ErrMalformed},
		{name: "bad data", body: `{"event":"User.Created","data":{"id":7}}`, want: source.ErrMalformed},
		{name: "data not an object", body: `{"event":"User.Data.Updated","data":[1]}`, want: source.ErrMalformed},
		{name: "bad json", body: `{"event":`, want: source.ErrMalformed},
	}
	p := mustParser(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), signed(key, tt.body))
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
			if len(evs) != 1 || evs[0].Type != tt.typ || evs[0].Subject != tt.sub || (evs[0].Profile != nil) != tt.snapshot {
				t.Fatalf("%+v", evs)
			}
			if tt.snapshot && (evs[0].Profile.PhoneNumber != "+4915100000000" || !evs[0].Profile.PhoneNumberVerified) {
				t.Errorf("phone %+v", evs[0].Profile)
			}
			if err := evs[0].Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The dedupe key is stable across retries and distinct across events.
func TestEventID(t *testing.T) {
	const key = "logto-test-signing-key"
	p := mustParser(t, key)
	id := func(body string) string {
		evs, err := p.Parse(context.Background(), signed(key, body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v %v", evs, err)
		}
		return evs[0].ID
	}
	a := `{"event":"User.Deleted","createdAt":"2025-01-01T10:00:00.000Z","params":{"userId":"u2"},"hookId":"h1"}`
	sameEventOtherHook := `{"event":"User.Deleted","createdAt":"2025-01-01T10:00:00.000Z","params":{"userId":"u2"},"hookId":"h2"}`
	later := `{"event":"User.Deleted","createdAt":"2025-01-01T10:00:00.001Z","params":{"userId":"u2"},"hookId":"h1"}`
	if id(a) != id(sameEventOtherHook) || id(a) == id(later) {
		t.Fatalf("ids %s %s %s", id(a), id(sameEventOtherHook), id(later))
	}
}
