package fusionauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

var now = time.Unix(1735725900, 0).UTC()

// TestVector checks the research vector (fusionauth_hs256) and what each
// kind of tampering does to it.
func TestVector(t *testing.T) {
	v := loadVector(t)
	jwt := v.Headers["X-FusionAuth-Signature-JWT"]
	head, _, _ := strings.Cut(jwt, ".")
	alt := SignHS256(v.HMACKey, "fa-hmac-key-1", []byte(v.RawBody+" "))
	_, altClaims, _ := strings.Cut(alt, ".")
	tests := []struct {
		name string
		keys []string
		jwt  string
		body string
		ok   bool
	}{
		{"as sent", []string{v.HMACKey}, jwt, v.RawBody, true},
		{"rotation: the key second", []string{strings.Repeat("o", 40), v.HMACKey}, jwt, v.RawBody, true},
		{"SignHS256 reproduces it", []string{v.HMACKey}, SignHS256(v.HMACKey, "fa-hmac-key-1", []byte(v.RawBody)), v.RawBody, true},
		{"wrong key", []string{strings.Repeat("k", 40)}, jwt, v.RawBody, false},
		{"body changed by one byte", []string{v.HMACKey}, jwt, strings.Replace(v.RawBody, "Janet", "Janez", 1), false},
		{"body re-encoded (whitespace)", []string{v.HMACKey}, jwt, v.RawBody + "\n", false},
		{"claims of another body under the old signature", []string{v.HMACKey}, head + "." + strings.Split(altClaims, ".")[0] + "." + strings.Split(jwt, ".")[2], v.RawBody + " ", false},
		{"alg none", []string{v.HMACKey}, b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + strings.Split(jwt, ".")[1] + ".", v.RawBody, false},
		{"no header", []string{v.HMACKey}, "", v.RawBody, false},
		{"garbage header", []string{v.HMACKey}, "not a jwt", v.RawBody, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParser(t, hmacConfig(tt.keys...), nil)
			evs, err := p.Parse(context.Background(), request(tt.jwt, tt.body, now))
			if tt.ok {
				if err != nil || len(evs) != 1 {
					t.Fatalf("evs %v err %v", evs, err)
				}
				return
			}
			if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
				t.Fatalf("evs %v err %v, want ErrUnauthenticated", evs, err)
			}
			if strings.Contains(err.Error(), "jane") {
				t.Fatalf("error quotes the body: %v", err)
			}
		})
	}
}

func TestParseEvents(t *testing.T) {
	update, err := os.ReadFile("testdata/fusionauth-user.update.json")
	if err != nil {
		t.Fatal(err)
	}
	del, err := os.ReadFile("testdata/fusionauth-user.delete.json")
	if err != nil {
		t.Fatal(err)
	}
	deact := strings.NewReplacer(`"type": "user.update"`, `"type": "user.deactivate"`, `"active": true,
      "email": "jane.doe@example.com",
      "firstName": "Janet"`, `"active": false,
      "email": "jane.doe@example.com",
      "firstName": "Janet"`).Replace(string(update))
	reg := `{"event":{"type":"user.registration.create.complete","id":"r-1","createInstant":1735725900000,"applicationId":"app-1",` +
		`"user":{"id":"u-1","email":"a@example.com"}}}`
	tests := []struct {
		name, body  string
		want        profile.EventType
		id, subject string
		check       func(t *testing.T, e profile.Event)
	}{
		{"user.update carries the user", string(update), profile.Updated, "e2b7c6d5-4a3f-4e21-9b8c-7d6e5f4a3b2c", "4f3e2d1c-0b9a-4877-8a6b-5c4d3e2f1a0b", func(t *testing.T, e profile.Event) {
			p := e.Profile
			if p == nil || p.GivenName != "Janet" || p.FamilyName != "Doe" || !p.EmailVerified || p.Custom["newsletter"] != true || p.Custom["active"] != nil {
				t.Fatalf("profile %+v", p)
			}
			if !e.OccurredAt.Equal(time.UnixMilli(1735725900500)) || p.UpdatedAt == nil || !p.UpdatedAt.Equal(time.UnixMilli(1735725900400)) {
				t.Fatalf("times %v %v", e.OccurredAt, p.UpdatedAt)
			}
		}},
		{"user.delete is thin", string(del), profile.Deleted, "a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d", "4f3e2d1c-0b9a-4877-8a6b-5c4d3e2f1a0b", func(t *testing.T, e profile.Event) {
			if e.Profile != nil {
				t.Fatal("a delete carries no profile")
			}
		}},
		{"user.deactivate marks the profile", deact, profile.Updated, "e2b7c6d5-4a3f-4e21-9b8c-7d6e5f4a3b2c", "4f3e2d1c-0b9a-4877-8a6b-5c4d3e2f1a0b", func(t *testing.T, e profile.Event) {
			if e.SourceType != "user.deactivate" || e.Profile.Custom["active"] != false {
				t.Fatalf("%+v %+v", e, e.Profile)
			}
		}},
		{"registration .complete with its application", reg, profile.Updated, "r-1", "u-1", func(t *testing.T, e profile.Event) {
			if e.ClientID != "app-1" || e.SourceType != "user.registration.create.complete" {
				t.Fatalf("%+v", e)
			}
		}},
		{"user.create", `{"event":{"type":"user.create","id":"c-1","user":{"id":"u-2"}}}`, profile.Created, "c-1", "u-2", nil},
		{"no event id: a body hash", `{"event":{"type":"user.create.complete","user":{"id":"u-2"}}}`, profile.Created, "", "u-2", nil},
	}
	p := mustParser(t, hmacConfig(testKey), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), request(SignHS256(testKey, "k", []byte(tt.body)), tt.body, now))
			if err != nil || len(evs) != 1 {
				t.Fatalf("evs %v err %v", evs, err)
			}
			e := evs[0]
			if e.Type != tt.want || e.Subject != tt.subject || (tt.id != "" && e.ID != tt.id) || e.ID == "" || e.Environment != "prod" || e.Source != "fusionauth-acme" {
				t.Fatalf("%+v", e)
			}
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestParseIgnoresAndRejects(t *testing.T) {
	p := mustParser(t, hmacConfig(testKey), nil)
	for _, tt := range []struct {
		name, body string
		malformed  bool
	}{
		{"login", `{"event":{"type":"user.login.success","id":"l","user":{"id":"u"}}}`, false},
		{"password update", `{"event":{"type":"user.password.update","id":"l","user":{"id":"u"}}}`, false},
		{"group", `{"event":{"type":"group.member.add","id":"g"}}`, false},
		{"not JSON", `<xml/>`, true},
		{"no type", `{"event":{"id":"x"}}`, true},
		{"no user", `{"event":{"type":"user.update","id":"x"}}`, true},
		{"user not an object", `{"event":{"type":"user.update","id":"x","user":"u"}}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), request(SignHS256(testKey, "k", []byte(tt.body)), tt.body, now))
			if tt.malformed != errors.Is(err, source.ErrMalformed) || evs != nil || (!tt.malformed && err != nil) {
				t.Fatalf("evs %v err %v", evs, err)
			}
		})
	}
	// Another tenant's event is authentic but not this source's.
	tp := mustParser(t, Config{HMACKeys: []string{testKey}, APIURL: "https://a", APIKey: "k", TenantID: "t-1"}, nil)
	body := `{"event":{"type":"user.update","id":"x","tenantId":"t-2","user":{"id":"u"}}}`
	if evs, err := tp.Parse(context.Background(), request(SignHS256(testKey, "k", []byte(body)), body, now)); err != nil || evs != nil {
		t.Fatalf("other tenant: %v %v", evs, err)
	}
}

func TestParseJWKS(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	url, calls := jwksServer(t, map[string]crypto.PublicKey{"rsa-1": &rk.PublicKey, "ec-1": &ek.PublicKey})
	cfg := Config{JWKSURL: url, APIURL: "https://auth.acme.com", APIKey: "k"}
	p := mustParser(t, cfg, localClient())
	body := `{"event":{"type":"user.update","id":"e-1","user":{"id":"u-1"}}}`
	good := map[string]any{"request_body_sha256": BodyHash([]byte(body))}
	for _, tt := range []struct {
		name string
		jwt  string
		ok   bool
	}{
		{"RS256", signJWT(t, rk, "RS256", "rsa-1", good), true},
		{"ES256", signJWT(t, ek, "ES256", "ec-1", good), true},
		{"exp in the future", signJWT(t, rk, "RS256", "rsa-1", map[string]any{"request_body_sha256": BodyHash([]byte(body)), "exp": now.Add(time.Minute).Unix()}), true},
		{"expired", signJWT(t, rk, "RS256", "rsa-1", map[string]any{"request_body_sha256": BodyHash([]byte(body)), "exp": now.Add(-time.Hour).Unix()}), false},
		{"another body's hash", signJWT(t, rk, "RS256", "rsa-1", map[string]any{"request_body_sha256": BodyHash([]byte(body + " "))}), false},
		{"no body hash", signJWT(t, rk, "RS256", "rsa-1", map[string]any{"sub": "x"}), false},
		{"hex instead of base64", signJWT(t, rk, "RS256", "rsa-1", map[string]any{"request_body_sha256": strings.Repeat("ab", 32)}), false},
		{"a foreign key under a known kid", signJWT(t, other, "RS256", "rsa-1", good), false},
		{"unknown kid", signJWT(t, rk, "RS256", "rsa-2", good), false},
		{"HS256 without HMAC keys", SignHS256(testKey, "rsa-1", []byte(body)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), request(tt.jwt, body, now))
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, source.ErrUnauthenticated)) {
				t.Fatalf("evs %v err %v", evs, err)
			}
		})
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 (cached; an unknown kid refetches at most once per 30 s)", n)
	}

	// A JWKS that cannot be had is no proof of forgery: 5xx, FusionAuth retries.
	down := mustParser(t, Config{JWKSURL: "http://127.0.0.1:1/jwks.json", APIURL: "https://a", APIKey: "k"}, localClient())
	_, err = down.Parse(context.Background(), request(signJWT(t, rk, "RS256", "rsa-1", good), body, now))
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Transient || errors.Is(err, source.ErrUnauthenticated) {
		t.Fatalf("unreachable JWKS: %v", err)
	}
}

func TestNewParserChecksEgress(t *testing.T) {
	_, err := NewParser("f", Config{JWKSURL: "http://127.0.0.1:9/jwks.json", APIURL: "https://a", APIKey: "k"}, nil)
	if err == nil || !strings.Contains(err.Error(), "jwks_url") {
		t.Fatalf("a loopback http JWKS in production: %v", err)
	}
}
