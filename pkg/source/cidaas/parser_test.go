package cidaas

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

type vector struct {
	FixedUnixTime int64             `json:"fixed_unix_time"`
	Headers       map[string]string `json:"headers"`
	RawBody       string            `json:"raw_body"`
}

func loadVector(t testing.TB) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vector-apikey.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParser(t testing.TB, raw string) *Parser {
	t.Helper()
	c, err := ParseConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParser("cidaas-acme", c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestParseVector(t *testing.T) {
	v := loadVector(t)
	p := mustParser(t, validAPIKeyConfig)
	now := time.Unix(v.FixedUnixTime, 0).UTC()
	evs, err := p.Parse(context.Background(), source.Request{
		Header: header("apikey", v.Headers["apikey"]), Body: []byte(v.RawBody), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := profile.Event{
		ID: "2f6a8c1e-4b3d-4e5f-9a0b-1c2d3e4f5a6b", Source: "cidaas-acme", Type: profile.Updated,
		Subject: "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", OccurredAt: time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC),
		ReceivedAt: now, Environment: "prod", SourceType: "ACCOUNT_MODIFIED",
	}
	if len(evs) != 1 || evs[0] != want {
		t.Fatalf("got %+v\nwant %+v", evs, want)
	}
	if err := evs[0].Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseAuthentication(t *testing.T) {
	v := loadVector(t)
	body := []byte(v.RawBody)
	key := v.Headers["apikey"]
	queryCfg := `{"auth":"apikey","apikey_name":"k","apikey_placement":"query","apikey":"` + key + `","base_url":"https://a.de","client_id":"c","client_secret":"s"}`
	const totpKey = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // RFC 6238's "12345678901234567890"
	totpCfg := `{"auth":"totp","totp_name":"x-totp","totp_key":"` + totpKey + `","base_url":"https://a.de","client_id":"c","client_secret":"s"}`
	now := time.Unix(1111111109, 0)
	code := func(d time.Duration) string {
		c, err := TOTP(totpKey, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name, cfg string
		req       source.Request
		ok        bool
	}{
		{"header key", validAPIKeyConfig, source.Request{Header: header("Apikey", key)}, true},
		{"wrong key", validAPIKeyConfig, source.Request{Header: header("apikey", key+"x")}, false},
		{"empty key", validAPIKeyConfig, source.Request{Header: header("apikey", "")}, false},
		{"no header", validAPIKeyConfig, source.Request{Header: http.Header{}}, false},
		{"key in query, header configured", validAPIKeyConfig, source.Request{Header: http.Header{}, Query: url.Values{"apikey": {key}}}, false},
		{"query key", queryCfg, source.Request{Query: url.Values{"k": {key}}}, true},
		{"query key wrong", queryCfg, source.Request{Query: url.Values{"k": {"nope"}}}, false},
		{"totp now", totpCfg, source.Request{Header: header("x-totp", code(0))}, true},
		{"totp one step old", totpCfg, source.Request{Header: header("x-totp", code(-30*time.Second))}, true},
		{"totp one step ahead", totpCfg, source.Request{Header: header("x-totp", code(30*time.Second))}, true},
		{"totp two steps old", totpCfg, source.Request{Header: header("x-totp", code(-60*time.Second))}, false},
		{"totp two steps ahead", totpCfg, source.Request{Header: header("x-totp", code(60*time.Second))}, false},
		{"totp missing", totpCfg, source.Request{Header: http.Header{}}, false},
		{"totp wrong length", totpCfg, source.Request{Header: header("x-totp", "12345")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParser(t, tt.cfg)
			tt.req.Body = body
			tt.req.Now = now
			_, err := p.Parse(context.Background(), tt.req)
			if tt.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tt.ok && !errors.Is(err, source.ErrUnauthenticated) {
				t.Fatalf("want ErrUnauthenticated, got %v", err)
			}
		})
	}
}

// RFC 6238 Appendix B, SHA-1, truncated to 6 digits.
func TestTOTPVectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for ts, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		if got := totpCode(key, uint64(ts/30)); got != want {
			t.Errorf("T=%d: got %s want %s", ts, got, want)
		}
	}
}

func TestParseBody(t *testing.T) {
	key := loadVector(t).Headers["apikey"]
	now := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body string
		wantErr    error
		wantN      int
		check      func(t *testing.T, e profile.Event)
	}{
		{name: "bad json", body: `{"eventtype":`, wantErr: source.ErrMalformed},
		{name: "not an object", body: `[1]`, wantErr: source.ErrMalformed},
		{name: "no eventtype", body: `{"sub":"s1"}`, wantErr: source.ErrMalformed},
		{name: "no subject", body: `{"eventtype":"ACCOUNT_MODIFIED"}`, wantErr: source.ErrMalformed},
		{name: "login ignored", body: `{"eventtype":"LOGIN_WITH_CIDAAS","sub":"s1"}`},
		{name: "logout ignored", body: `{"eventtype":"LOGOUT","sub":"s1"}`},
		{name: "mfa ignored", body: `{"eventtype":"MFA_REQUIRED"}`},
		{name: "password ignored", body: `{"eventtype":"PASSWORD_CHANGED","sub":"s1"}`},
		{name: "sub from data, id hashed, time from ms", body: `{"eventtype":"ACCOUNT_DELETED","createdTime":1735725600000,"data":{"sub":"s2","client_id":"app1"},"extra":[1,2]}`, wantN: 1,
			check: func(t *testing.T, e profile.Event) {
				if e.Subject != "s2" || e.Type != profile.Deleted || e.ClientID != "app1" || len(e.ID) != 64 ||
					!e.OccurredAt.Equal(time.UnixMilli(1735725600000)) {
					t.Errorf("%+v", e)
				}
			}},
		{name: "unparseable time falls back to now", body: `{"eventtype":"USER_CREATED","sub":"s1","createdTime":"yesterday"}`, wantN: 1,
			check: func(t *testing.T, e profile.Event) {
				if !e.OccurredAt.Equal(now) || e.Type != profile.Created {
					t.Errorf("%+v", e)
				}
			}},
		{name: "consent with name", body: `{"eventtype":"CONSENT_ACCEPTED","sub":"s1","client_id":"c9","consent_name":"newsletter"}`, wantN: 1,
			check: func(t *testing.T, e profile.Event) {
				if e.Type != profile.ConsentGranted || e.Purpose != "newsletter" || e.ClientID != "c9" {
					t.Errorf("%+v", e)
				}
			}},
		{name: "consent name in data, camel", body: `{"eventtype":"CONSENT_REVOKED","sub":"s1","data":{"consentName":"marketing"}}`, wantN: 1,
			check: func(t *testing.T, e profile.Event) {
				if e.Type != profile.ConsentRevoked || e.Purpose != "marketing" {
					t.Errorf("%+v", e)
				}
			}},
		{name: "consent without name", body: `{"eventtype":"CONSENT_REJECTED","sub":"s1"}`, wantN: 1,
			check: func(t *testing.T, e profile.Event) {
				if e.Purpose != DefaultPurpose {
					t.Errorf("%+v", e)
				}
			}},
	}
	p := mustParser(t, validAPIKeyConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), source.Request{Header: header("apikey", key), Body: []byte(tt.body), Now: now})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("want %v, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil || len(evs) != tt.wantN {
				t.Fatalf("got %d events, err %v", len(evs), err)
			}
			for _, e := range evs {
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
				tt.check(t, e)
			}
		})
	}
}

// Authentication comes before decoding: a bad body without a key is 401.
func TestParseAuthBeforeDecode(t *testing.T) {
	p := mustParser(t, validAPIKeyConfig)
	_, err := p.Parse(context.Background(), source.Request{Header: http.Header{}, Body: []byte("{"), Now: time.Now()})
	if !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatal(err)
	}
}

func TestEventTypeTable(t *testing.T) {
	want := map[profile.EventType][]string{
		profile.Created:        {"ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", "ACCOUNT_CREATED_WITH_SOCIAL_IDENTITY", "INVITE_ACCEPTED", "USER_CREATED"},
		profile.Updated:        {"ACCOUNT_MODIFIED", "EMAIL_CHANGED", "ACCOUNT_EMAIL_VERIFIED", "ACCOUNT_EMAIL_UNVERIFIED", "ACCOUNT_MOBILE_NO_VERIFIED", "ACCOUNT_MOBILE_NO_UNVERIFIED", "ACCOUNT_ACTIVATED", "ACCOUNT_DEACTIVATED", "PROFILE_IMAGE_UPDATED", "COMBINED", "USER_UPDATED"},
		profile.Deleted:        {"ACCOUNT_DELETED", "USER_DELETED"},
		profile.ConsentGranted: {"CONSENT_ACCEPTED"},
		profile.ConsentRevoked: {"CONSENT_REJECTED", "CONSENT_REVOKED"},
	}
	n := 0
	for typ, names := range want {
		for _, name := range names {
			n++
			if eventTypes[name] != typ {
				t.Errorf("%s → %q, want %q", name, eventTypes[name], typ)
			}
		}
	}
	if n != len(eventTypes) {
		t.Errorf("table has %d entries, test knows %d", len(eventTypes), n)
	}
}
