package gigya

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

func TestVector(t *testing.T) {
	v := loadVector(t)
	sig := v.Headers["X-Gigya-Sig-Hmac-Sha1"]
	const other = "b3RoZXItZ2lneWEtcGFydG5lci1zZWNyZXQtYnl0ZXM=" // another 32-byte secret
	tests := []struct {
		name    string
		secrets []string
		tol     int
		header  string
		body    string
		now     time.Time
		ok      bool
	}{
		{name: "valid", secrets: []string{v.SecretBase64}, header: sig, body: v.RawBody, now: vectorTime, ok: true},
		{name: "valid a day later without a tolerance", secrets: []string{v.SecretBase64}, header: sig, body: v.RawBody, now: vectorTime.Add(24 * time.Hour), ok: true},
		{name: "rotated: the new secret first", secrets: []string{other, v.SecretBase64}, header: sig, body: v.RawBody, now: vectorTime, ok: true},
		{name: "rotated: the old secret first", secrets: []string{v.SecretBase64, other}, header: sig, body: v.RawBody, now: vectorTime, ok: true},
		{name: "within the tolerance", secrets: []string{v.SecretBase64}, tol: 600, header: sig, body: v.RawBody, now: vectorTime.Add(599 * time.Second), ok: true},
		{name: "expired: outside the tolerance", secrets: []string{v.SecretBase64}, tol: 600, header: sig, body: v.RawBody, now: vectorTime.Add(601 * time.Second)},
		{name: "tolerance without a clock", secrets: []string{v.SecretBase64}, tol: 600, header: sig, body: v.RawBody},
		{name: "tampered body", secrets: []string{v.SecretBase64}, header: sig, body: strings.Replace(v.RawBody, "7c0a9b8e", "7c0a9b8f", 1), now: vectorTime},
		{name: "trailing byte", secrets: []string{v.SecretBase64}, header: sig, body: v.RawBody + " ", now: vectorTime},
		{name: "wrong key", secrets: []string{other}, header: sig, body: v.RawBody, now: vectorTime},
		{name: "missing header", secrets: []string{v.SecretBase64}, body: v.RawBody, now: vectorTime},
		{name: "header not base64", secrets: []string{v.SecretBase64}, header: "not base64!", body: v.RawBody, now: vectorTime},
		{name: "header of a SHA-256", secrets: []string{v.SecretBase64}, header: strings.Repeat("A", 43) + "=", body: v.RawBody, now: vectorTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := hmacConfig(tt.secrets...)
			cfg.ToleranceSeconds = tt.tol
			h := http.Header{}
			if tt.header != "" {
				h.Set("x-gigya-sig-hmac-sha1", tt.header)
			}
			evs, err := mustParser(t, cfg).Parse(context.Background(), source.Request{Header: h, Body: []byte(tt.body), Now: tt.now})
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []profile.Event{
				{ID: "b3e95b42-5788-49a7-842a-90c0f183d653", Source: "gigya-acme", Type: profile.Updated, Subject: "7c0a9b8e6d5f4e3c2b1a0f9e8d7c6b5a",
					OccurredAt: time.Unix(1735725900, 0).UTC(), ReceivedAt: tt.now, Environment: "prod", SourceType: "accountUpdated"},
				{ID: "c4f06c53-6899-4ab8-953b-01d1f294e764", Source: "gigya-acme", Type: profile.Deleted, Subject: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
					OccurredAt: time.Unix(1735726000, 0).UTC(), ReceivedAt: tt.now, Environment: "prod", SourceType: "accountDeleted"},
			}
			if !reflect.DeepEqual(evs, want) {
				t.Fatalf("got  %+v\nwant %+v", evs, want)
			}
		})
	}
}

// A Gigya secret is base64: the HMAC key is its decoded bytes, not its text.
func TestSignatureKeysWithDecodedSecret(t *testing.T) {
	v := loadVector(t)
	if got := Signature([]byte(v.SecretBase64), []byte(v.RawBody)); got == v.Headers["X-Gigya-Sig-Hmac-Sha1"] {
		t.Fatal("the base64 text verified: the key must be the decoded secret")
	}
}

func gigyaEvent(typ, id, uid, apiKey string) string {
	return fmt.Sprintf(`{"type":%q,"id":%q,"timestamp":1735725900,"callId":"c","version":"2.0","apiKey":%q,"data":{"uid":%q}}`, typ, id, apiKey, uid)
}

func TestParseBodies(t *testing.T) {
	now := vectorTime
	wrap := func(evs ...string) string {
		return `{"events":[` + strings.Join(evs, ",") + `],"nonce":"n","timestamp":1735726001}`
	}
	hundredOne := make([]string, 101)
	for i := range hundredOne {
		hundredOne[i] = gigyaEvent("accountUpdated", fmt.Sprint("e", i), "u1", siteKey)
	}
	tests := []struct {
		name  string
		body  string
		want  error
		types []profile.EventType
	}{
		{name: "created and registered", body: wrap(gigyaEvent("accountCreated", "e1", "u1", siteKey), gigyaEvent("accountRegistered", "e2", "u1", siteKey)),
			types: []profile.EventType{profile.Created, profile.Created}},
		{name: "subscription updated", body: wrap(gigyaEvent("subscriptionUpdated", "e1", "u1", siteKey)), types: []profile.EventType{profile.Updated}},
		{name: "login ignored", body: wrap(gigyaEvent("accountLoggedIn", "e1", "u1", siteKey), gigyaEvent("accountDeleted", "e2", "u1", siteKey)),
			types: []profile.EventType{profile.Deleted}},
		{name: "another site ignored", body: wrap(gigyaEvent("accountUpdated", "e1", "u1", "3_OtherSite"))},
		{name: "no apiKey: the site's", body: wrap(`{"type":"accountUpdated","id":"e1","timestamp":1735725900,"data":{"uid":"u1"}}`), types: []profile.EventType{profile.Updated}},
		{name: "empty batch", body: wrap()},
		{name: "100 events is the most", body: wrap(hundredOne[:100]...), types: make([]profile.EventType, 100)},
		{name: "101 events", body: wrap(hundredOne...), want: source.ErrMalformed},
		{name: "no events member", body: `{"nonce":"n","timestamp":1}`, want: source.ErrMalformed},
		{name: "no uid", body: wrap(`{"type":"accountUpdated","id":"e1","data":{}}`), want: source.ErrMalformed},
		{name: "no id", body: wrap(`{"type":"accountDeleted","data":{"uid":"u1"}}`), want: source.ErrMalformed},
		{name: "bad json", body: `{"events":[`, want: source.ErrMalformed},
		{name: "uid not a string", body: wrap(`{"type":"accountUpdated","id":"e1","data":{"uid":7}}`), want: source.ErrMalformed},
	}
	p := mustParser(t, hmacConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), signedHMAC(testSecret, tt.body, now))
			if tt.want != nil {
				if !errors.Is(err, tt.want) || evs != nil {
					t.Fatalf("want %v, got %v %v", tt.want, evs, err)
				}
				return
			}
			if err != nil || len(evs) != len(tt.types) {
				t.Fatalf("%d events (%v), want %d", len(evs), err, len(tt.types))
			}
			for i, e := range evs {
				if (tt.types[i] != "" && e.Type != tt.types[i]) || e.Subject != "u1" || e.Validate() != nil {
					t.Fatalf("event %d: %+v (%v)", i, e, e.Validate())
				}
			}
		})
	}
}

func jwtConfig(t *testing.T, tol int) (*Parser, func(claims map[string]any) string, func(body []byte) string) {
	t.Helper()
	fk, cfg, hc := newSite(t)
	fk.SetClock(func() time.Time { return vectorTime })
	cfg.Signature, cfg.ToleranceSeconds = SchemeJWT, tol
	p, err := NewParser("gigya-acme", cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(c map[string]any) string {
		tok, err := fk.SignClaims(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	sign := func(body []byte) string {
		tok, err := fk.SignJWT(body)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return p, claims, sign
}

func TestJWT(t *testing.T) {
	body := []byte(loadVector(t).RawBody)
	p, claims, sign := jwtConfig(t, 0)
	pTol, claimsTol, _ := jwtConfig(t, 600)
	_, _, otherSite := jwtConfig(t, 0) // another fake: another key, same kid
	hash := func(b []byte) string { return bodyHash(b) }
	tests := []struct {
		name   string
		p      *Parser
		header string
		hmac   bool // also an HMAC header, which a jwt source ignores
		body   []byte
		now    time.Time
		ok     bool
	}{
		{name: "valid", p: p, header: sign(body), body: body, now: vectorTime, ok: true},
		{name: "valid, hex body hash and a future exp", p: p, header: claims(map[string]any{"apiKey": siteKey, "iat": vectorTime.Unix(),
			"exp": vectorTime.Add(time.Hour).Unix(), "sha256": hexHash(body)}), body: body, now: vectorTime, ok: true},
		{name: "tampered body", p: p, header: sign(body), body: append([]byte(" "), body...), now: vectorTime},
		{name: "wrong key", p: p, header: otherSite(body), body: body, now: vectorTime},
		{name: "another site's apiKey", p: p, header: claims(map[string]any{"apiKey": "3_Other", "iat": vectorTime.Unix(), "sha256": hash(body)}), body: body, now: vectorTime},
		{name: "no body hash", p: p, header: claims(map[string]any{"apiKey": siteKey, "iat": vectorTime.Unix()}), body: body, now: vectorTime},
		{name: "no iat", p: p, header: claims(map[string]any{"apiKey": siteKey, "sha256": hash(body)}), body: body, now: vectorTime},
		{name: "expired", p: p, header: claims(map[string]any{"apiKey": siteKey, "iat": vectorTime.Add(-time.Hour).Unix(),
			"exp": vectorTime.Add(-10 * time.Minute).Unix(), "sha256": hash(body)}), body: body, now: vectorTime},
		{name: "iat in the future", p: p, header: sign(body), body: body, now: vectorTime.Add(-10 * time.Minute)},
		{name: "iat within the tolerance", p: pTol, header: claimsTol(map[string]any{"apiKey": siteKey, "iat": vectorTime.Add(-9 * time.Minute).Unix(), "sha256": hash(body)}), body: body, now: vectorTime, ok: true},
		{name: "iat outside the tolerance", p: pTol, header: claimsTol(map[string]any{"apiKey": siteKey, "iat": vectorTime.Add(-11 * time.Minute).Unix(), "sha256": hash(body)}), body: body, now: vectorTime},
		{name: "HS256 refused", p: p, header: hs256(body), body: body, now: vectorTime},
		{name: "no JWT, only an HMAC", p: p, hmac: true, body: body, now: vectorTime},
		{name: "garbage", p: p, header: "a.b.c", body: body, now: vectorTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("x-gigya-sig-jwt", tt.header)
			}
			if tt.hmac {
				h.Set(HMACHeader, signedHMAC(testSecret, string(tt.body), tt.now).Header.Get(HMACHeader))
			}
			evs, err := tt.p.Parse(context.Background(), source.Request{Header: h, Body: tt.body, Now: tt.now})
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				return
			}
			if err != nil || len(evs) != 2 {
				t.Fatalf("%v %v", evs, err)
			}
		})
	}
}

// A site whose public key cannot be had is not a forgery: the error is
// transient (Gigya resends), not ErrUnauthenticated.
func TestJWTKeysUnavailable(t *testing.T) {
	p, err := NewParser("gigya-acme", Config{APIKey: siteKey, BaseURL: "http://127.0.0.1:1/gigya", Secret: testSecret, Signature: SchemeJWT},
		nil)
	if err == nil {
		t.Fatal("plain http accepted by the production egress policy")
	}
	_, cfg, hc := newSite(t)
	cfg.Signature, cfg.APIKey = SchemeJWT, "3_UnknownSite" // the fake refuses the key set of another site
	if p, err = NewParser("gigya-acme", cfg, hc); err != nil {
		t.Fatal(err)
	}
	_, claims, _ := jwtConfig(t, 0)
	body := []byte(loadVector(t).RawBody)
	h := http.Header{}
	h.Set(JWTHeader, claims(map[string]any{"apiKey": "3_UnknownSite", "iat": vectorTime.Unix(), "sha256": bodyHash(body)}))
	_, err = p.Parse(context.Background(), source.Request{Header: h, Body: body, Now: vectorTime})
	if errors.Is(err, source.ErrUnauthenticated) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want a transient error, got %v", err)
	}
}
