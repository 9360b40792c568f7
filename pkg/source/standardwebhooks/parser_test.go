package standardwebhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

type vectors struct {
	Official struct {
		Secret   string            `json:"secret"`
		Headers  map[string]string `json:"headers"`
		RawBody  string            `json:"raw_body"`
		Expected string            `json:"expected_signature_header"`
	} `json:"official"`
	Clerk struct {
		Secret    string            `json:"secret"`
		Headers   map[string]string `json:"headers"`
		RawBody   string            `json:"raw_body"`
		Negatives struct {
			Rotated  string `json:"rotated_header_with_one_valid"`
			Tampered string `json:"tampered_body_should_fail"`
		} `json:"negative_cases"`
	} `json:"clerk"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParser(t testing.TB, secrets ...string) *Parser {
	t.Helper()
	p, err := NewParser("clerk-acme", Config{Environment: "prod", Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func headers(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// sign returns svix-* headers signing body with secret at ts.
func sign(t testing.TB, secret, id string, ts int64, body string) http.Header {
	key, err := decodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return headers(map[string]string{"svix-id": id, "svix-timestamp": strconv.FormatInt(ts, 10),
		"svix-signature": "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))})
}

func TestOfficialVector(t *testing.T) {
	v := loadVectors(t).Official
	h := headers(v.Headers)
	h.Set("webhook-signature", v.Expected)
	evs, err := mustParser(t, v.Secret).Parse(context.Background(), source.Request{Header: h, Body: []byte(v.RawBody), Now: time.Unix(1614265330, 0)})
	if err != nil || evs != nil {
		t.Fatalf("official vector: %v, %v", evs, err)
	}
}

func TestClerkVector(t *testing.T) {
	v := loadVectors(t).Clerk
	now := time.Unix(1735725600, 0).UTC()
	evs, err := mustParser(t, v.Secret).Parse(context.Background(), source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v, %v", evs, err)
	}
	e := evs[0]
	upd := time.UnixMilli(1735725600000).UTC()
	want := &profile.Profile{Sub: "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe",
		Email: "jane.doe@example.com", EmailVerified: true, UpdatedAt: &upd,
		Custom: map[string]any{"unsafe_metadata": map[string]any{"marketing_opt_in": true}}}
	if e.ID != "msg_2rX9aBcDeFgHiJkLmNoPqRsTuVw" || e.Type != profile.Created || e.Subject != want.Sub || e.Source != "clerk-acme" ||
		!e.OccurredAt.Equal(time.UnixMilli(1735725600123)) || !e.ReceivedAt.Equal(now) || e.Environment != "prod" || e.SourceType != "user.created" {
		t.Fatalf("%+v", e)
	}
	gotJSON, _ := json.Marshal(e.Profile)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("profile\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	v := loadVectors(t).Clerk
	now := time.Unix(1735725600, 0)
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-long!"))
	with := func(k, val string) http.Header {
		h := headers(v.Headers)
		if val == "" {
			h.Del(k)
		} else {
			h.Set(k, val)
		}
		return h
	}
	tests := []struct {
		name    string
		secrets []string
		h       http.Header
		body    string
		now     time.Time
		ok      bool
	}{
		{"rotated header, one valid", []string{v.Secret}, with("svix-signature", v.Negatives.Rotated), v.RawBody, now, true},
		{"second of two secrets", []string{other, v.Secret}, headers(v.Headers), v.RawBody, now, true},
		{"v1a and unknown versions skipped", []string{v.Secret}, with("svix-signature", "v1a,abc v2,xyz "+v.Headers["svix-signature"]), v.RawBody, now, true},
		{"at tolerance edge, old", []string{v.Secret}, headers(v.Headers), v.RawBody, now.Add(300 * time.Second), true},
		{"tampered body", []string{v.Secret}, headers(v.Headers), v.Negatives.Tampered, now, false},
		{"wrong secret", []string{other}, headers(v.Headers), v.RawBody, now, false},
		{"missing id", []string{v.Secret}, with("svix-id", ""), v.RawBody, now, false},
		{"missing timestamp", []string{v.Secret}, with("svix-timestamp", ""), v.RawBody, now, false},
		{"missing signature", []string{v.Secret}, with("svix-signature", ""), v.RawBody, now, false},
		{"other id", []string{v.Secret}, with("svix-id", "msg_other"), v.RawBody, now, false},
		{"only v1a", []string{v.Secret}, with("svix-signature", "v1a,"+strings.TrimPrefix(v.Headers["svix-signature"], "v1,")), v.RawBody, now, false},
		{"non-integer timestamp", []string{v.Secret}, with("svix-timestamp", "1735725600.0"), v.RawBody, now, false},
		{"expired", []string{v.Secret}, headers(v.Headers), v.RawBody, now.Add(301 * time.Second), false},
		{"from the future", []string{v.Secret}, headers(v.Headers), v.RawBody, now.Add(-301 * time.Second), false},
		{"no clock", []string{v.Secret}, headers(v.Headers), v.RawBody, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustParser(t, tt.secrets...).Parse(context.Background(), source.Request{Header: tt.h, Body: []byte(tt.body), Now: tt.now})
			if tt.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tt.ok && !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("want ErrUnauthenticated, got %v", err)
			}
		})
	}
}

func TestParseBodies(t *testing.T) {
	const secret = "whsec_cHJvZmlsZXN5bmMtZmFrZS1jbGVyay1zaWduaW5nLWtleS0zMmIh"
	deleted, err := os.ReadFile("testdata/clerk-user.deleted.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1735812000, 0).UTC()
	tests := []struct {
		name, body string
		want       error
		n          int
		check      func(*testing.T, profile.Event)
	}{
		{name: "deleted", body: string(deleted), n: 1, check: func(t *testing.T, e profile.Event) {
			if e.Type != profile.Deleted || e.Profile != nil || e.Subject != "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5" || !e.OccurredAt.Equal(now) {
				t.Errorf("%+v", e)
			}
		}},
		{name: "updated, phone, no body timestamp", body: `{"type":"user.updated","data":{"id":"user_1","primary_phone_number_id":"p2",
			"phone_numbers":[{"id":"p1","phone_number":"+1"},{"id":"p2","phone_number":"+2","verification":{"status":"unverified"}}],
			"public_metadata":{"tier":"gold"},"private_metadata":{"secret":"x"},"external_id":"crm-9"}}`, n: 1,
			check: func(t *testing.T, e profile.Event) {
				p := e.Profile
				if e.Type != profile.Updated || !e.OccurredAt.Equal(now) || p.PhoneNumber != "+2" || p.PhoneNumberVerified ||
					p.Custom["external_id"] != "crm-9" || p.Custom["private_metadata"] != nil || p.Custom["public_metadata"] == nil {
					t.Errorf("%+v %+v", e, p)
				}
			}},
		{name: "session event ignored", body: `{"type":"session.created","data":{"id":"sess_1"}}`},
		{name: "no type ignored", body: `{"data":{}}`},
		{name: "bad json", body: `{"type":"user.created",`, want: source.ErrMalformed},
		{name: "data not an object", body: `{"type":"user.created","data":[1]}`, want: source.ErrMalformed},
		{name: "no data.id", body: `{"type":"user.updated","data":{"first_name":"A"}}`, want: source.ErrMalformed},
	}
	p := mustParser(t, secret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sign(t, secret, "msg_1", now.Unix(), tt.body)
			evs, err := p.Parse(context.Background(), source.Request{Header: h, Body: []byte(tt.body), Now: now})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("want %v, got %v", tt.want, err)
				}
				return
			}
			if err != nil || len(evs) != tt.n {
				t.Fatalf("%v, %v", evs, err)
			}
			for _, e := range evs {
				if e.ID != "msg_1" {
					t.Errorf("id %q", e.ID)
				}
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
				tt.check(t, e)
			}
		})
	}
}

func TestWebhookHeadersPreferred(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := `{"type":"user.deleted","data":{"id":"user_1","deleted":true}}`
	h := sign(t, secret, "msg_9", 1700000000, body)
	// Re-label as Standard Webhooks headers.
	for _, n := range []string{"id", "timestamp", "signature"} {
		h.Set("webhook-"+n, h.Get("svix-"+n))
		h.Del("svix-" + n)
	}
	evs, err := mustParser(t, secret).Parse(context.Background(), source.Request{Header: h, Body: []byte(body), Now: time.Unix(1700000000, 0)})
	if err != nil || len(evs) != 1 || evs[0].ID != "msg_9" {
		t.Fatalf("%v %v", evs, err)
	}
}
