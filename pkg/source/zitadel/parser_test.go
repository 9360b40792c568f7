package zitadel

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

// vector is test-vectors.json → zitadel, copied from the research notes.
type vector struct {
	SigningKey string            `json:"signing_key"`
	Headers    map[string]string `json:"headers"`
	RawBody    string            `json:"raw_body"`
	Tolerance  int               `json:"tolerance_seconds"`
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
	p, err := NewParser("zitadel-acme", Config{Environment: "prod", SigningKey: key, APIURL: "https://acme.zitadel.cloud", Token: "pat"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func signed(key string, at time.Time, body string) source.Request {
	h := http.Header{}
	h.Set("ZITADEL-Signature", Signature(key, at, []byte(body)))
	return source.Request{Header: h, Body: []byte(body), Now: at}
}

func TestVector(t *testing.T) {
	v := loadVector(t)
	sig := v.Headers["ZITADEL-Signature"]
	sent := time.Unix(1735725600, 0).UTC()
	tol := time.Duration(v.Tolerance) * time.Second
	_, v1, _ := strings.Cut(sig, ",v1=")
	tests := []struct {
		name   string
		key    string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"valid", v.SigningKey, sig, v.RawBody, sent, true},
		{"valid at the tolerance edge", v.SigningKey, sig, v.RawBody, sent.Add(tol), true},
		{"rotation: one of two v1 matches", v.SigningKey, "t=1735725600,v1=" + strings.Repeat("ab", 32) + ",v1=" + v1, v.RawBody, sent, true},
		{"spaces after commas", v.SigningKey, "t=1735725600, v1=" + v1, v.RawBody, sent, true},
		{"tampered body", v.SigningKey, sig, strings.Replace(v.RawBody, "Jane", "Eve", 1), sent, false},
		{"wrong key", v.SigningKey + "x", sig, v.RawBody, sent, false},
		{"expired", v.SigningKey, sig, v.RawBody, sent.Add(tol + time.Second), false},
		{"from the future", v.SigningKey, sig, v.RawBody, sent.Add(-tol - time.Second), false},
		{"timestamp changed", v.SigningKey, "t=1735725601,v1=" + v1, v.RawBody, sent, false},
		{"no timestamp", v.SigningKey, "v1=" + v1, v.RawBody, sent, false},
		{"no v1", v.SigningKey, "t=1735725600,v2=" + v1, v.RawBody, sent, false},
		{"missing header", v.SigningKey, "", v.RawBody, sent, false},
		{"no clock", v.SigningKey, sig, v.RawBody, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("zitadel-signature", tt.header)
			}
			evs, err := mustParser(t, tt.key).Parse(context.Background(), source.Request{Header: h, Body: []byte(tt.body), Now: tt.now})
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				return
			}
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v, %v", evs, err)
			}
			want := profile.Event{ID: "336494809936035843:1", Source: "zitadel-acme", Type: profile.Created, Subject: "336494809936035843",
				OccurredAt: time.Date(2025, 1, 1, 10, 0, 0, 123456000, time.UTC), ReceivedAt: tt.now, Environment: "prod",
				SourceType: "user.human.added"}
			if got := evs[0]; got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseBodies(t *testing.T) {
	const key = "zitadel-test-signing-key"
	now := time.Unix(1735725600, 0).UTC()
	tests := []struct {
		name, body string
		want       error
		typ        profile.EventType // "" means no events
		id         string            // "" means a body hash
	}{
		{name: "profile changed", body: `{"aggregateID":"42","aggregateType":"user","sequence":7,"event_type":"user.human.profile.changed","created_at":"2025-01-01T10:00:00Z","event_payload":{"firstName":"J"}}`,
			typ: profile.Updated, id: "42:7"},
		{name: "removed, sequence as a string", body: `{"aggregateID":"42","aggregateType":"user","sequence":"9","event_type":"user.removed"}`, typ: profile.Deleted, id: "42:9"},
		{name: "no sequence: a body hash", body: `{"aggregateID":"42","aggregateType":"user","event_type":"user.human.email.verified"}`, typ: profile.Updated},
		{name: "login ignored", body: `{"aggregateID":"42","aggregateType":"user","sequence":3,"event_type":"user.human.password.check.succeeded"}`},
		{name: "machine user ignored", body: `{"aggregateID":"42","aggregateType":"user","sequence":3,"event_type":"user.machine.added"}`},
		{name: "other aggregate ignored", body: `{"aggregateID":"42","aggregateType":"org","sequence":3,"event_type":"user.removed"}`},
		{name: "no event_type", body: `{"aggregateID":"42"}`, want: source.ErrMalformed},
		{name: "no aggregateID", body: `{"aggregateType":"user","event_type":"user.human.added"}`, want: source.ErrMalformed},
		{name: "bad json", body: `{"event_type":`, want: source.ErrMalformed},
		{name: "bad sequence", body: `{"aggregateID":"42","aggregateType":"user","sequence":{},"event_type":"user.removed"}`, want: source.ErrMalformed},
	}
	p := mustParser(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), signed(key, now, tt.body))
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
			if len(evs) != 1 || evs[0].Type != tt.typ || evs[0].Subject != "42" || evs[0].Profile != nil {
				t.Fatalf("%+v", evs)
			}
			if id := evs[0].ID; (tt.id != "" && id != tt.id) || (tt.id == "" && len(id) != 64) {
				t.Fatalf("id %q, want %q", id, tt.id)
			}
			if err := evs[0].Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
