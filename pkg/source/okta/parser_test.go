package okta

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

type vector struct {
	Headers      map[string]string `json:"headers"`
	RawBody      string            `json:"raw_body"`
	Verification struct {
		Headers  map[string]string `json:"headers"`
		Expected json.RawMessage   `json:"expected_response_body"`
	} `json:"verification_request"`
}

func loadVector(t testing.TB) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Okta vector `json:"okta_header_secret"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.Okta
}

func mustParser(t testing.TB, cfg string) *Parser {
	t.Helper()
	c, err := ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParser("okta-acme", c)
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

var now = time.Date(2025, 1, 1, 10, 5, 2, 0, time.UTC)

func TestVector(t *testing.T) {
	v := loadVector(t)
	evs, err := mustParser(t, validConfig).Parse(context.Background(), source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	want := profile.Event{ID: "2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2b", Source: "okta-acme", Type: profile.Updated,
		Subject: "00u9zyxwVUTS8765rqp4", OccurredAt: time.Date(2025, 1, 1, 10, 5, 0, 700e6, time.UTC), ReceivedAt: now,
		Environment: "prod", SourceType: "user.account.update_profile"}
	if evs[0] != want {
		t.Fatalf("got  %+v\nwant %+v", evs[0], want)
	}
	if err := evs[0].Validate(); err != nil {
		t.Fatal(err)
	}
}

// The header secret is all Okta sends: valid, rotated, wrong, tampered.
func TestAuthenticate(t *testing.T) {
	v := loadVector(t)
	secret := v.Headers["Authorization"]
	rotated := `{"secrets":["the-new-secret-0123456789",` + `"` + secret + `"],"org_url":"https://a.okta.com","api_token":"t"}`
	custom := `{"auth_header":"X-Hook-Auth","secrets":["` + secret + `"],"org_url":"https://a.okta.com","api_token":"t"}`
	tests := []struct {
		name, cfg string
		h         http.Header
		ok        bool
	}{
		{"valid", validConfig, headers(v.Headers), true},
		{"rotated: old value still accepted", rotated, headers(v.Headers), true},
		{"rotated: new value accepted", rotated, headers(map[string]string{"Authorization": "the-new-secret-0123456789"}), true},
		{"custom header name", custom, headers(map[string]string{"x-hook-auth": secret}), true},
		{"wrong key", validConfig, headers(map[string]string{"Authorization": "ps-okta-other-secret-0000"}), false},
		{"tampered (last byte)", validConfig, headers(map[string]string{"Authorization": secret[:len(secret)-1] + "b"}), false},
		{"prefix of the secret", validConfig, headers(map[string]string{"Authorization": secret[:len(secret)-1]}), false},
		{"with Bearer prefix", validConfig, headers(map[string]string{"Authorization": "Bearer " + secret}), false},
		{"missing", validConfig, http.Header{}, false},
		{"in the wrong header", custom, headers(v.Headers), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustParser(t, tt.cfg).Parse(context.Background(), source.Request{Header: tt.h, Body: []byte(v.RawBody), Now: now})
			if tt.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tt.ok && !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("want ErrUnauthenticated, got %v", err)
			}
		})
	}
	// Authentication comes before decoding: a bad body without the secret is 401.
	_, err := mustParser(t, validConfig).Parse(context.Background(), source.Request{Header: http.Header{}, Body: []byte("{"), Now: now})
	if !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatal(err)
	}
	// A Config that never went through normalize has no digests: fail closed.
	p := &Parser{name: "raw", cfg: Config{AuthHeader: "Authorization", Secrets: []string{secret}}}
	if _, err := p.Parse(context.Background(), source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now}); !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func TestChallenge(t *testing.T) {
	v := loadVector(t)
	p := mustParser(t, validConfig)
	challenge := v.Verification.Headers["X-Okta-Verification-Challenge"]
	tests := []struct {
		name string
		h    map[string]string
		want error
	}{
		{"with the auth header", v.Verification.Headers, nil},
		{"without it", map[string]string{"X-Okta-Verification-Challenge": challenge}, nil},
		{"with a wrong one", map[string]string{"X-Okta-Verification-Challenge": challenge, "Authorization": "guess-guess-guess-guess"}, source.ErrUnauthenticated},
		{"no challenge", map[string]string{"Authorization": v.Headers["Authorization"]}, source.ErrMalformed},
		{"oversized", map[string]string{"X-Okta-Verification-Challenge": strings.Repeat("a", 257)}, source.ErrMalformed},
		{"control characters", map[string]string{"X-Okta-Verification-Challenge": "a\x01b"}, source.ErrMalformed},
		{"non-ASCII", map[string]string{"X-Okta-Verification-Challenge": "aé"}, source.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := p.Challenge(context.Background(), source.Request{Header: headers(tt.h), Now: now})
			if tt.want != nil {
				if !errors.Is(err, tt.want) || body != nil {
					t.Fatalf("want %v, got %s %v", tt.want, body, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			_ = json.Unmarshal(body, &got)
			_ = json.Unmarshal(v.Verification.Expected, &want)
			if string(mustMarshal(got)) != string(mustMarshal(want)) {
				t.Fatalf("got %s, want %s", body, v.Verification.Expected)
			}
		})
	}
	// A quote in the challenge cannot break out of the JSON string.
	body, err := p.Challenge(context.Background(), source.Request{Header: headers(map[string]string{"X-Okta-Verification-Challenge": `a","x":"y`})})
	if err != nil || string(body) != `{"verification":"a\",\"x\":\"y"}` {
		t.Fatalf("%s %v", body, err)
	}
}

func mustMarshal(v any) []byte { b, _ := json.Marshal(v); return b }

func hook(events ...string) string {
	return `{"eventType":"com.okta.event_hook","eventTime":"2025-01-01T10:05:01.000Z","data":{"events":[` + strings.Join(events, ",") + `]}}`
}

func logEventJSON(uuid, typ, result, target string) string {
	return `{"uuid":"` + uuid + `","published":"2025-01-01T10:05:00.700Z","eventType":"` + typ + `","outcome":{"result":"` + result +
		`"},"client":{"id":"0oa1app"},"target":[` + target + `]}`
}

const userTarget = `{"id":"00u1","type":"User","alternateId":"a@example.com"},{"id":"00g1","type":"UserGroup"}`

func TestParseBodies(t *testing.T) {
	p := mustParser(t, validConfig)
	auth := headers(loadVector(t).Headers)
	tests := []struct {
		name, body string
		want       error
		types      []profile.EventType
	}{
		{name: "create, update, delete in one batch", body: hook(
			logEventJSON("e1", "user.lifecycle.create", "SUCCESS", userTarget),
			logEventJSON("e2", "user.account.update_profile", "SUCCESS", userTarget),
			logEventJSON("e3", "user.lifecycle.delete.initiated", "SUCCESS", userTarget)),
			types: []profile.EventType{profile.Created, profile.Updated, profile.Deleted}},
		{name: "status changes are updates", body: hook(logEventJSON("e1", "user.lifecycle.suspend", "SUCCESS", userTarget),
			logEventJSON("e2", "user.lifecycle.delete.completed", "SUCCESS", userTarget)),
			types: []profile.EventType{profile.Updated, profile.Deleted}},
		{name: "failed outcome ignored", body: hook(logEventJSON("e1", "user.account.update_profile", "FAILURE", userTarget))},
		{name: "login, password and group events ignored", body: hook(
			logEventJSON("e1", "user.session.start", "SUCCESS", userTarget),
			logEventJSON("e2", "user.account.update_password", "SUCCESS", userTarget),
			logEventJSON("e3", "group.user_membership.add", "SUCCESS", userTarget))},
		{name: "empty batch", body: hook()},
		{name: "no outcome still counts", body: hook(`{"uuid":"e1","eventType":"user.lifecycle.create","target":[{"id":"00u1","type":"User"}]}`),
			types: []profile.EventType{profile.Created}},
		{name: "no User target", body: hook(logEventJSON("e1", "user.account.update_profile", "SUCCESS", `{"id":"00g1","type":"UserGroup"}`)), want: source.ErrMalformed},
		{name: "no uuid", body: hook(logEventJSON("", "user.account.update_profile", "SUCCESS", userTarget)), want: source.ErrMalformed},
		{name: "not an event hook", body: `{"eventType":"com.okta.other","data":{"events":[]}}`, want: source.ErrMalformed},
		{name: "bad json", body: `{"eventType":`, want: source.ErrMalformed},
		{name: "events not a list", body: `{"eventType":"com.okta.event_hook","data":{"events":{}}}`, want: source.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(tt.body), Now: now})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("want %v, got %v", tt.want, err)
				}
				return
			}
			if err != nil || len(evs) != len(tt.types) {
				t.Fatalf("%v %v", evs, err)
			}
			for i, e := range evs {
				wantClient := "0oa1app"
				if tt.name == "no outcome still counts" {
					wantClient = ""
				}
				if e.Type != tt.types[i] || e.Subject != "00u1" || e.ClientID != wantClient {
					t.Errorf("%+v", e)
				}
				if e.OccurredAt.IsZero() || e.Profile != nil {
					t.Errorf("%+v", e)
				}
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// Without published, an event is dated by the delivery, then by receipt.
func TestEventTime(t *testing.T) {
	p := mustParser(t, validConfig)
	auth := headers(loadVector(t).Headers)
	ev := `{"uuid":"e1","eventType":"user.lifecycle.create","target":[{"id":"00u1","type":"User"}]}`
	evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(hook(ev)), Now: now})
	if err != nil || !evs[0].OccurredAt.Equal(time.Date(2025, 1, 1, 10, 5, 1, 0, time.UTC)) {
		t.Fatalf("%v %v", evs, err)
	}
	body := `{"eventType":"com.okta.event_hook","data":{"events":[` + ev + `]}}`
	evs, err = p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(body), Now: now})
	if err != nil || !evs[0].OccurredAt.Equal(now) {
		t.Fatalf("%v %v", evs, err)
	}
}

// FuzzParse: any body, once authenticated, decodes to valid events or to
// ErrMalformed, never a panic or another error.
func FuzzParse(f *testing.F) {
	v := loadVector(f)
	sample, err := os.ReadFile("testdata/okta-user.account.update_profile.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(v.RawBody))
	f.Add(sample)
	f.Add([]byte(hook(logEventJSON("e1", "user.lifecycle.create", "SUCCESS", userTarget))))
	f.Add([]byte(`{"eventType":"com.okta.event_hook","data":{"events":[{"eventType":"user.lifecycle.create"}]}}`))
	f.Add([]byte(`[]`))
	p := mustParser(f, validConfig)
	auth := headers(v.Headers)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: body, Now: now})
		if err != nil {
			if !errors.Is(err, source.ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}
	})
}
