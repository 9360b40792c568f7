package ssf

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func claimsWith(base map[string]any, set map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range set {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestParseEvents(t *testing.T) {
	tr := newTransmitter(t)
	purged := loadSample(t, "ssf-risc-account-purged.jwt.json")
	cred := loadSample(t, "ssf-caep-credential-change.jwt.json")
	issSub := map[string]any{"format": "iss_sub", "iss": testIssuer, "sub": "user-7f3e2a"}
	email := map[string]any{"format": "email", "email": "old@example.com"}
	tests := []struct {
		name    string
		cfg     func(*Config)
		header  map[string]string
		claims  map[string]any
		want    profile.EventType // "" for no events
		subject string
		check   func(t *testing.T, e profile.Event)
	}{
		{name: "RISC account-purged (sample, RS256)", header: map[string]string{"alg": "RS256", "kid": "rsa-1"}, claims: purged.Claims,
			want: profile.Deleted, subject: "user-7f3e2a", check: func(t *testing.T, e profile.Event) {
				if e.ID != "9f0e1d2c3b4a5968/"+AccountPurged || e.Profile != nil || e.OccurredAt.Unix() != 1735815600 {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "account-disabled marks the profile", claims: claimsWith(purged.Claims, map[string]any{"events": map[string]any{AccountDisabled: map[string]any{"reason": "hijacking"}}}),
			want: profile.Updated, subject: "user-7f3e2a", check: func(t *testing.T, e profile.Event) {
				if e.Profile.Custom["active"] != false || e.Profile.Custom["disabled_reason"] != "hijacking" || e.Profile.Sub != "user-7f3e2a" {
					t.Fatalf("%+v", e.Profile)
				}
			}},
		{name: "account-enabled", claims: claimsWith(purged.Claims, map[string]any{"events": map[string]any{AccountEnabled: map[string]any{}}}),
			want: profile.Updated, subject: "user-7f3e2a", check: func(t *testing.T, e profile.Event) {
				if e.Profile.Custom["active"] != true {
					t.Fatalf("%+v", e.Profile)
				}
			}},
		{name: "identifier-changed by email", cfg: func(c *Config) { c.SubjectFormats = []string{"email"} },
			claims: claimsWith(purged.Claims, map[string]any{"sub_id": email, "events": map[string]any{IdentifierChanged: map[string]any{"new-value": "new@example.com"}}}),
			want:   profile.Updated, subject: "old@example.com", check: func(t *testing.T, e profile.Event) {
				if e.Profile.Email != "new@example.com" {
					t.Fatalf("%+v", e.Profile)
				}
			}},
		{name: "an email subject without subject_formats email", claims: claimsWith(purged.Claims, map[string]any{"sub_id": email})},
		{name: "credential-change ignored by default (sample)", claims: claimsWith(cred.Claims, map[string]any{"iss": testIssuer, "aud": testAudience, "sub_id": issSub})},
		{name: "credential-change when configured", cfg: func(c *Config) { c.CredentialChange = true },
			claims: claimsWith(cred.Claims, map[string]any{"sub_id": issSub}),
			want:   profile.Updated, subject: "user-7f3e2a", check: func(t *testing.T, e profile.Event) {
				if e.Profile.Custom["credential_change"] != "update" || e.OccurredAt.Unix() != 1735729199 {
					t.Fatalf("%+v %v", e.Profile, e.OccurredAt)
				}
			}},
		{name: "pre-1.0 subject inside the event", claims: claimsWith(purged.Claims, map[string]any{"sub_id": nil,
			"events": map[string]any{AccountPurged: map[string]any{"subject": issSub}}}), want: profile.Deleted, subject: "user-7f3e2a"},
		{name: "aud as an array", claims: claimsWith(purged.Claims, map[string]any{"aud": []string{"x", testAudience}}), want: profile.Deleted, subject: "user-7f3e2a"},
		{name: "SSF verification event", claims: claimsWith(purged.Claims, map[string]any{"events": map[string]any{
			"https://schemas.openid.net/secevent/ssf/event-type/verification": map[string]any{"state": "abc"}}})},
		{name: "authorization configured and sent", cfg: func(c *Config) { c.Authorization = []string{"Bearer another-value-0123456789", testBearer} },
			header: map[string]string{"Authorization": testBearer}, claims: purged.Claims, want: profile.Deleted, subject: "user-7f3e2a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tr.url)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			p := mustParser(t, cfg)
			hdr := map[string]string{"alg": "ES256", "kid": testKID}
			for k, v := range tt.header {
				if k == "alg" || k == "kid" {
					hdr[k] = v
				}
			}
			req := request(tr.sign(t, hdr, tt.claims), map[string]string{"Authorization": tt.header["Authorization"]})
			evs, err := p.Parse(context.Background(), req)
			sourcetest.CheckParse(t, "ssf-idp", testNow, evs, err)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(evs) != 0 {
					t.Fatalf("%+v", evs)
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != tt.want || evs[0].Subject != tt.subject || evs[0].Environment != "prod" {
				t.Fatalf("%+v", evs)
			}
			if tt.check != nil {
				tt.check(t, evs[0])
			}
		})
	}
}

// TestRejections checks each refusal's RFC 8935 answer, shaped as the
// research sample rfc8935-error-response.json.
func TestRejections(t *testing.T) {
	tr := newTransmitter(t)
	other := newTransmitter(t)
	good := loadSample(t, "ssf-risc-account-purged.jwt.json").Claims
	es := map[string]string{}
	tests := []struct {
		name, set string
		cfg       func(*Config)
		headers   map[string]string
		code      string // "" for the ingress's own answer
		sentinel  error
	}{
		{"not a JWS", "hello", nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"typ JWT (an ID token is no SET)", tr.sign(t, map[string]string{"typ": "JWT"}, good), nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"alg none", tr.sign(t, map[string]string{"alg": "none"}, good), nil, nil, ErrCodeInvalidKey, source.ErrUnauthenticated},
		{"alg HS256", tr.sign(t, map[string]string{"alg": "HS256"}, good), nil, nil, ErrCodeInvalidKey, source.ErrUnauthenticated},
		{"unknown kid", tr.sign(t, map[string]string{"kid": "k-9"}, good), nil, nil, ErrCodeInvalidKey, source.ErrUnauthenticated},
		{"another transmitter's key", other.sign(t, es, good), nil, nil, ErrCodeAuthenticationFailed, source.ErrUnauthenticated},
		{"tampered claims", tamper(tr.sign(t, es, good)), nil, nil, ErrCodeAuthenticationFailed, source.ErrUnauthenticated},
		{"another issuer", tr.sign(t, es, claimsWith(good, map[string]any{"iss": "https://evil.example.com/"})), nil, nil, ErrCodeInvalidIssuer, source.ErrUnauthenticated},
		{"another audience", tr.sign(t, es, claimsWith(good, map[string]any{"aud": "https://elsewhere.example.com"})), nil, nil, ErrCodeInvalidAudience, source.ErrUnauthenticated},
		{"no jti", tr.sign(t, es, claimsWith(good, map[string]any{"jti": nil})), nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"no events", tr.sign(t, es, claimsWith(good, map[string]any{"events": nil})), nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"claims not JSON", tr.sign(t, es, []byte("nope")), nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"an event not an object", tr.sign(t, es, claimsWith(good, map[string]any{"events": map[string]any{AccountPurged: 1}})), nil, nil, ErrCodeInvalidRequest, source.ErrMalformed},
		{"no stream authorization", tr.sign(t, es, good), func(c *Config) { c.Authorization = []string{testBearer} }, nil, "", source.ErrUnauthenticated},
		{"wrong stream authorization", tr.sign(t, es, good), func(c *Config) { c.Authorization = []string{testBearer} },
			map[string]string{"Authorization": "Bearer guess-guess-guess-guess"}, "", source.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tr.url)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			p := mustParser(t, cfg)
			evs, err := p.Parse(context.Background(), request(tt.set, tt.headers))
			sourcetest.CheckParse(t, "ssf-idp", testNow, evs, err)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err %v, want %v", err, tt.sentinel)
			}
			status, body, ok := p.Rejection(err)
			if tt.code == "" {
				if ok {
					t.Fatalf("shaped %d %s, want the ingress's answer", status, body)
				}
				return
			}
			var got map[string]string
			if !ok || status != 400 || json.Unmarshal(body, &got) != nil || got["err"] != tt.code || got["description"] == "" || len(got) != 2 {
				t.Fatalf("%v %d %s", ok, status, body)
			}
		})
	}
}

func tamper(set string) string {
	parts := strings.Split(set, ".")
	parts[1] = b64([]byte(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","jti":"x","events":{"` + AccountPurged + `":{}},"sub":"victim"}`))
	return strings.Join(parts, ".")
}

func TestErrorBodyMatchesTheRFCSample(t *testing.T) {
	b, err := os.ReadFile("testdata/rfc8935-error-response.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	p := mustParser(t, testConfig("https://idp.example.com/jwks"))
	_, body, _ := p.Rejection(p.refuse(ErrCodeInvalidAudience, "x"))
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || got["err"] != want["err"] || len(got) != len(want) {
		t.Fatalf("%s, want the shape of %s", body, b)
	}
	if p.AcceptedStatus() != 202 {
		t.Fatal(p.AcceptedStatus())
	}
	// A transient failure is not the SET's: the ingress answers 503.
	if _, _, ok := p.Rejection(fault.Wrap(fault.Transient, errors.New("jwks down"))); ok {
		t.Fatal("a JWKS outage shaped as a SET error")
	}
}

func TestUnreachableJWKSIsTransient(t *testing.T) {
	tr := newTransmitter(t)
	p := mustParser(t, testConfig("http://127.0.0.1:1/jwks"))
	_, err := p.Parse(context.Background(), request(tr.sign(t, nil, loadSample(t, "ssf-risc-account-purged.jwt.json").Claims), nil))
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Transient || errors.Is(err, source.ErrUnauthenticated) || errors.Is(err, source.ErrMalformed) {
		t.Fatalf("%v", err)
	}
}
