package auth0

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
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"raw_body"`
}

func loadVector(t testing.TB) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Auth0 vector `json:"auth0_logstream"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.Auth0
}

func mustParser(t testing.TB, cfg string) *Parser {
	t.Helper()
	c, err := ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParser("auth0-acme", c)
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

var now = time.Date(2025, 1, 2, 9, 0, 1, 0, time.UTC)

const jane = "auth0|677511aa22bb33cc44dd55ee"

func TestVector(t *testing.T) {
	v := loadVector(t)
	evs, err := mustParser(t, validConfig).Parse(context.Background(), source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%v %v", evs, err)
	}
	want := []profile.Event{
		{ID: "90020250101100000123456789012345678901234567890123456789", Source: "auth0-acme", Type: profile.Created, Subject: jane,
			OccurredAt: time.Date(2025, 1, 1, 10, 0, 0, 123e6, time.UTC), ReceivedAt: now, Environment: "prod",
			ClientID: "AbCdEfGhIjKlMnOpQrStUvWxYz012345", SourceType: "ss"},
		{ID: "90020250101100500123456789012345678901234567890123456790", Source: "auth0-acme", Type: profile.Updated, Subject: jane,
			OccurredAt: time.Date(2025, 1, 1, 10, 5, 0, 456e6, time.UTC), ReceivedAt: now, Environment: "prod",
			ClientID: "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654", SourceType: "sapi"},
		{ID: "90020250102090000123456789012345678901234567890123456791", Source: "auth0-acme", Type: profile.Deleted, Subject: jane,
			OccurredAt: time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC), ReceivedAt: now, Environment: "prod",
			ClientID: "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654", SourceType: "sdu"},
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d\n got %+v\nwant %+v", i, evs[i], want[i])
		}
		if err := evs[i].Validate(); err != nil {
			t.Error(err)
		}
	}
}

// Auth0 sends the configured value verbatim: valid, rotated, wrong, tampered.
func TestAuthenticate(t *testing.T) {
	v := loadVector(t)
	val := v.Headers["Authorization"]
	rotated := strings.Replace(validConfig, `["Bearer ps-auth0-fake-token-9c1d"]`, `["Bearer the-new-token-0123456789","Bearer ps-auth0-fake-token-9c1d"]`, 1)
	tests := []struct {
		name, cfg, header string
		ok                bool
	}{
		{"valid", validConfig, val, true},
		{"rotated: old value", rotated, val, true},
		{"rotated: new value", rotated, "Bearer the-new-token-0123456789", true},
		{"wrong key", validConfig, "Bearer ps-auth0-other-token-0000", false},
		{"tampered (last byte)", validConfig, val[:len(val)-1] + "e", false},
		{"without the Bearer it was configured with", validConfig, strings.TrimPrefix(val, "Bearer "), false},
		{"lower-case scheme", validConfig, "bearer " + strings.TrimPrefix(val, "Bearer "), false},
		{"missing", validConfig, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Authorization", tt.header)
			}
			_, err := mustParser(t, tt.cfg).Parse(context.Background(), source.Request{Header: h, Body: []byte(v.RawBody), Now: now})
			if tt.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tt.ok && !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("want ErrUnauthenticated, got %v", err)
			}
		})
	}
	if _, err := mustParser(t, validConfig).Parse(context.Background(), source.Request{Header: http.Header{}, Body: []byte("["), Now: now}); !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatalf("authentication must come before decoding: %v", err)
	}
	p := &Parser{name: "raw", cfg: Config{Authorization: []string{val}}} // never normalized: no digests
	if _, err := p.Parse(context.Background(), source.Request{Header: headers(v.Headers), Body: []byte(v.RawBody), Now: now}); !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func logRec(id, typ, details string) string {
	if details == "" {
		details = "{}"
	}
	return `{"log_id":"` + id + `","data":{"date":"2025-01-01T10:00:00.000Z","type":"` + typ + `","client_id":"app1","user_id":"` + jane + `","details":` + details + `}}`
}

func sapiDetails(method, path string, status int, respBody string) string {
	return `{"request":{"method":"` + method + `","path":"` + path + `"},"response":{"statusCode":` + itoa(status) + `,"body":` + respBody + `}}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestParseBodies(t *testing.T) {
	p := mustParser(t, validConfig)
	auth := headers(loadVector(t).Headers)
	stream, err := os.ReadFile("testdata/auth0-eventstream-user.updated.json")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		typ profile.EventType
		sub string
	}
	tests := []struct {
		name, body string
		err        error
		want       []want
	}{
		{name: "JSON lines", body: logRec("l1", "ss", "") + "\n" + logRec("l2", "sdu", "") + "\n",
			want: []want{{profile.Created, jane}, {profile.Deleted, jane}}},
		{name: "one JSON object", body: logRec("l1", "du", ""), want: []want{{profile.Deleted, jane}}},
		{name: "changes of email, username, phone, verification", body: "[" + logRec("l1", "sce", "") + "," + logRec("l2", "scu", "") + "," +
			logRec("l3", "scpn", "") + "," + logRec("l4", "sv", "") + "]",
			want: []want{{profile.Updated, jane}, {profile.Updated, jane}, {profile.Updated, jane}, {profile.Updated, jane}}},
		{name: "logins, failures, password changes ignored", body: "[" + logRec("l1", "s", "") + "," + logRec("l2", "fs", "") + "," +
			logRec("l3", "scp", "") + "," + logRec("l4", "fdu", "") + "]"},
		{name: "sapi delete from the path", body: "[" + logRec("l1", "sapi", sapiDetails("DELETE", "/api/v2/users/auth0%7C999", 204, "{}")) + "]",
			want: []want{{profile.Deleted, "auth0|999"}}},
		{name: "sapi create from the response", body: "[" + logRec("l1", "sapi", sapiDetails("post", "/api/v2/users", 201, `{"user_id":"auth0|new"}`)) + "]",
			want: []want{{profile.Created, "auth0|new"}}},
		{name: "sapi put", body: "[" + logRec("l1", "sapi", sapiDetails("put", "/api/v2/users/auth0%7C1?x=1", 200, "{}")) + "]",
			want: []want{{profile.Updated, "auth0|1"}}},
		{name: "sapi on roles, clients, or failed, or a read, ignored", body: "[" +
			logRec("l1", "sapi", sapiDetails("post", "/api/v2/users/auth0%7C1/roles", 204, "{}")) + "," +
			logRec("l2", "sapi", sapiDetails("patch", "/api/v2/clients/abc", 200, "{}")) + "," +
			logRec("l3", "sapi", sapiDetails("patch", "/api/v2/users/auth0%7C1", 400, "{}")) + "," +
			logRec("l4", "sapi", sapiDetails("get", "/api/v2/users/auth0%7C1", 200, "{}")) + "," +
			logRec("l5", "sapi", `"not an object"`) + "]"},
		{name: "sapi without details, request or response: nothing to attribute", body: "[" + logRec("l1", "sapi", "") + "," +
			logRec("l2", "sapi", `{"response":{"statusCode":201,"body":{"user_id":"auth0|new"}}}`) + "," +
			logRec("l3", "sapi", `{"request":"patch /api/v2/users/x"}`) + "," + logRec("l4", "sapi", `{"request":{"method":"post","path":"/api/v2/users"}}`) + "]"},
		{name: "details of any shape beside a change", body: "[" + logRec("l1", "s", `"text details"`) + "," + logRec("l2", "fs", `[1,2]`) + "," +
			logRec("l3", "ss", "") + "]", want: []want{{profile.Created, jane}}},
		{name: "event stream user.updated carries the user", body: string(stream), want: []want{{profile.Updated, jane}}},
		{name: "event stream, com.auth0 spelling, deleted", body: `{"specversion":"1.0","id":"evt_1","type":"com.auth0.user.deleted","time":"2025-01-01T10:00:00Z","data":{"object":{"user_id":"` + jane + `"}}}`,
			want: []want{{profile.Deleted, jane}}},
		{name: "event stream, other type ignored", body: `{"specversion":"1.0","id":"evt_1","type":"organization.created","data":{"object":{}}}`},
		{name: "empty array", body: `[]`},
		{name: "signup without user_id", body: `[{"log_id":"l1","data":{"type":"ss"}}]`, err: source.ErrMalformed},
		{name: "event stream without user", body: `{"specversion":"1.0","id":"evt_1","type":"user.created","data":{}}`, err: source.ErrMalformed},
		{name: "bad json", body: `[{"log_id":`, err: source.ErrMalformed},
		{name: "not records", body: `"hello"`, err: source.ErrMalformed},
		{name: "whitespace only", body: " \n", err: source.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(tt.body), Now: now})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("want %v, got %v", tt.err, err)
				}
				return
			}
			if err != nil || len(evs) != len(tt.want) {
				t.Fatalf("%+v %v", evs, err)
			}
			for i, e := range evs {
				if e.Type != tt.want[i].typ || e.Subject != tt.want[i].sub {
					t.Errorf("%+v", e)
				}
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestEventStreamSnapshot(t *testing.T) {
	body, err := os.ReadFile("testdata/auth0-eventstream-user.updated.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := mustParser(t, validConfig).Parse(context.Background(), source.Request{Header: headers(loadVector(t).Headers), Body: body, Now: now})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	e := evs[0]
	upd := time.Date(2025, 1, 1, 10, 5, 0, 500e6, time.UTC)
	wantP := &profile.Profile{Sub: jane, Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe", Nickname: "jane.doe",
		Picture: "https://cdn.example.com/avatars/jane.png", Email: "jane.doe@example.com", EmailVerified: true, UpdatedAt: &upd,
		Custom: map[string]any{"user_metadata": map[string]any{"newsletter": true}}}
	if e.ID != "evt_3Kq9vXbR7sT2mN8pL4cD1a" || e.SourceType != "user.updated" || !e.OccurredAt.Equal(time.Date(2025, 1, 1, 10, 5, 0, 512e6, time.UTC)) {
		t.Errorf("%+v", e)
	}
	got, _ := json.Marshal(e.Profile)
	want, _ := json.Marshal(wantP)
	if string(got) != string(want) {
		t.Errorf("profile\n got %s\nwant %s", got, want)
	}
}

// FuzzParse: any body, once authenticated, decodes to valid events or to
// ErrMalformed, never a panic or another error.
func FuzzParse(f *testing.F) {
	v := loadVector(f)
	for _, name := range []string{"testdata/auth0-logstream-jsonarray.json", "testdata/auth0-eventstream-user.updated.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(v.RawBody))
	f.Add([]byte(logRec("l1", "sapi", sapiDetails("DELETE", "/api/v2/users/auth0%7C999", 204, "{}")) + "\n" + logRec("l2", "ss", "")))
	f.Add([]byte(`[null,{},[]]`))
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
