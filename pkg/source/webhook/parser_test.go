package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

const kratosKey = "kratos-test-api-key-0123456789"

var testNow = time.Date(2025, 1, 1, 10, 6, 0, 0, time.UTC)

func kratosConfig(t testing.TB) Config {
	t.Helper()
	raw, err := os.ReadFile("testdata/kratos-secret.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kratosBody(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ory-kratos-settings-after.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParser(t testing.TB, cfg Config) *Parser {
	t.Helper()
	p, err := NewParser("generic", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func request(body []byte, headers ...string) source.Request {
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return source.Request{Header: h, Body: body, Now: testNow}
}

// The Kratos sample, as the README's configuration reads it.
func TestKratosSample(t *testing.T) {
	body := kratosBody(t)
	evs, err := mustParser(t, kratosConfig(t)).Parse(context.Background(), request(body, "X-Webhook-Secret", kratosKey))
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	at := time.Date(2025, 1, 1, 10, 5, 0, 500_000_000, time.UTC)
	// No id_path: a settings flow can be saved twice under one flow_id,
	// so the dedupe key is the body's hash.
	sum := sha256.Sum256(body)
	want := profile.Event{ID: hex.EncodeToString(sum[:]), Source: "generic", Type: profile.Updated,
		Subject: "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918", OccurredAt: at, ReceivedAt: testNow, Environment: "prod",
		SourceType: "settings.after",
		Profile: &profile.Profile{Sub: "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918", Email: "jane.doe@example.com", EmailVerified: true,
			GivenName: "Jane", FamilyName: "Doe", UpdatedAt: &at,
			Consents: map[string]profile.Consent{"newsletter": {Granted: true}}, Custom: map[string]any{"kratos_state": "active"}}}
	if !reflect.DeepEqual(evs[0], want) {
		t.Fatalf("got  %+v\n%+v\nwant %+v\n%+v", evs[0], evs[0].Profile, want, want.Profile)
	}
}

func TestAuthModes(t *testing.T) {
	body := kratosBody(t)
	tampered := []byte(strings.Replace(string(body), "jane.doe@", "eve@", 1))
	const k1, k2 = "hmac-key-one-0123456789", "hmac-key-two-0123456789"
	ts := strconv.FormatInt(testNow.Unix(), 10)
	old := strconv.FormatInt(testNow.Add(-301*time.Second).Unix(), 10)
	future := strconv.FormatInt(testNow.Add(301*time.Second).Unix(), 10)
	with := func(mut func(*Config)) Config {
		c := kratosConfig(t)
		c.Header = ""
		mut(&c)
		return c
	}
	apikey := with(func(c *Config) { c.Header = "X-Webhook-Secret"; c.Secrets = []string{kratosKey, kratosKey + "-next"} })
	basic := with(func(c *Config) { c.Auth = AuthBasic; c.Secrets = []string{"kratos:pass-one", "kratos:pass-two"} })
	hexHMAC := with(func(c *Config) { c.Auth = AuthHMAC; c.Secrets = []string{k1, k2}; c.SignaturePrefix = "sha256=" })
	b64HMAC := with(func(c *Config) {
		c.Auth = AuthHMAC
		c.Secrets = []string{k1}
		c.Encoding = EncodingBase64
		c.Header = "X-Hook-Signature"
		c.TimestampHeader = "X-Hook-Timestamp"
	})
	tests := []struct {
		name    string
		cfg     Config
		body    []byte
		headers []string
		ok      bool
	}{
		{"apikey", apikey, body, []string{"X-Webhook-Secret", kratosKey}, true},
		{"apikey, the next key", apikey, body, []string{"x-webhook-secret", kratosKey + "-next"}, true},
		{"apikey, wrong key", apikey, body, []string{"X-Webhook-Secret", kratosKey + "x"}, false},
		{"apikey, a prefix of the key", apikey, body, []string{"X-Webhook-Secret", kratosKey[:20]}, false},
		{"apikey, in another header", apikey, body, []string{"X-Api-Key", kratosKey}, false},
		{"apikey, none", apikey, body, nil, false},
		{"basic", basic, body, []string{"Authorization", BasicAuth("kratos:pass-two")}, true},
		{"basic, lower-case scheme", basic, body, []string{"Authorization", "basic " + BasicAuth("kratos:pass-one")[6:]}, true},
		{"basic, wrong password", basic, body, []string{"Authorization", BasicAuth("kratos:pass-three")}, false},
		{"basic, a bearer token", basic, body, []string{"Authorization", "Bearer kratos:pass-one"}, false},
		{"basic, not base64", basic, body, []string{"Authorization", "Basic !!!"}, false},
		{"hmac hex", hexHMAC, body, []string{"X-Signature", "sha256=" + Signature(k1, "", body, "")}, true},
		{"hmac hex, second key, upper case", hexHMAC, body, []string{"X-Signature", "sha256=" + strings.ToUpper(Signature(k2, "", body, ""))}, true},
		{"hmac hex, tampered body", hexHMAC, tampered, []string{"X-Signature", "sha256=" + Signature(k1, "", body, "")}, false},
		{"hmac hex, wrong key", hexHMAC, body, []string{"X-Signature", "sha256=" + Signature("another-key-0123456789", "", body, "")}, false},
		{"hmac hex, no prefix", hexHMAC, body, []string{"X-Signature", Signature(k1, "", body, "")}, false},
		{"hmac hex, truncated", hexHMAC, body, []string{"X-Signature", "sha256=" + Signature(k1, "", body, "")[:32]}, false},
		{"hmac base64 with timestamp", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, ts, body, EncodingBase64), "X-Hook-Timestamp", ts}, true},
		{"hmac, expired timestamp", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, old, body, EncodingBase64), "X-Hook-Timestamp", old}, false},
		{"hmac, timestamp from the future", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, future, body, EncodingBase64), "X-Hook-Timestamp", future}, false},
		{"hmac, timestamp swapped after signing", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, old, body, EncodingBase64), "X-Hook-Timestamp", ts}, false},
		{"hmac, the oldest int64 timestamp", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, "-9223372036854775808", body, EncodingBase64), "X-Hook-Timestamp", "-9223372036854775808"}, false},
		{"hmac, the newest int64 timestamp", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, "9223372036854775807", body, EncodingBase64), "X-Hook-Timestamp", "9223372036854775807"}, false},
		{"hmac, at the edge of the window", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, strconv.FormatInt(testNow.Unix()-300, 10), body, EncodingBase64), "X-Hook-Timestamp", strconv.FormatInt(testNow.Unix()-300, 10)}, true},
		{"hmac, no timestamp", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, "", body, EncodingBase64)}, false},
		{"hmac, timestamp not a number", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, "soon", body, EncodingBase64), "X-Hook-Timestamp", "soon"}, false},
		{"hmac, hex where base64 is configured", b64HMAC, body, []string{"X-Hook-Signature", Signature(k1, ts, body, EncodingHex), "X-Hook-Timestamp", ts}, false},
		{"hmac, tampered with timestamp", b64HMAC, tampered, []string{"X-Hook-Signature", Signature(k1, ts, body, EncodingBase64), "X-Hook-Timestamp", ts}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := mustParser(t, tt.cfg).Parse(context.Background(), request(tt.body, tt.headers...))
			if !tt.ok {
				if !errors.Is(err, source.ErrUnauthenticated) || evs != nil {
					t.Fatalf("want ErrUnauthenticated, got %v, %v", evs, err)
				}
				secrets := []string{kratosKey, "pass-one", k1}
				for i := 1; i < len(tt.headers); i += 2 {
					secrets = append(secrets, tt.headers[i])
				}
				for _, s := range secrets {
					if strings.Contains(err.Error(), s) {
						t.Fatalf("the error quotes a secret or a header value: %v", err)
					}
				}
				return
			}
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v, %v", evs, err)
			}
		})
	}
}

// thinConfig is an API key source without fields, for the body tests.
func thinConfig() Config {
	return Config{Auth: AuthAPIKey, Secrets: []string{kratosKey}, SubjectPath: "data.user.id", TypePath: "type",
		IDPath: "id", TimePath: "at", ClientIDPath: "data.app[0]", PurposePath: "data.consent.purpose",
		EventTypes: map[string]string{"user.new": "created", "user.changed": "updated", "user.gone": "deleted",
			"consent.yes": "consent_granted", "consent.no": "consent_revoked", "42": "updated"}}
}

func TestTypeTableAndPaths(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		typ        profile.EventType // "" means no events
		sub, id    string            // id "": a body hash
		purpose    string
		at         time.Time
	}{
		{name: "created", body: `{"type":"user.new","id":"e1","data":{"user":{"id":"u1"}}}`, typ: profile.Created, sub: "u1", id: "e1"},
		{name: "updated, numeric subject", body: `{"type":"user.changed","id":"e2","data":{"user":{"id":12345678901}}}`, typ: profile.Updated, sub: "12345678901", id: "e2"},
		{name: "deleted", body: `{"type":"user.gone","id":"e3","data":{"user":{"id":"u1"}}}`, typ: profile.Deleted, sub: "u1", id: "e3"},
		{name: "consent granted", body: `{"type":"consent.yes","id":"e4","data":{"user":{"id":"u1"},"consent":{"purpose":"newsletter"}}}`, typ: profile.ConsentGranted, sub: "u1", id: "e4", purpose: "newsletter"},
		{name: "consent revoked", body: `{"type":"consent.no","data":{"user":{"id":"u1"},"consent":{"purpose":"sms"}}}`, typ: profile.ConsentRevoked, sub: "u1", purpose: "sms"},
		{name: "a numeric type", body: `{"type":42,"data":{"user":{"id":"u1"}}}`, typ: profile.Updated, sub: "u1"},
		{name: "no id: a body hash", body: `{"type":"user.changed","data":{"user":{"id":"u1"}}}`, typ: profile.Updated, sub: "u1"},
		{name: "time in RFC 3339", body: `{"type":"user.new","at":"2025-01-01T09:00:00+01:00","data":{"user":{"id":"u1"}}}`, typ: profile.Created, sub: "u1", at: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)},
		{name: "time in seconds", body: `{"type":"user.new","at":1735718400,"data":{"user":{"id":"u1"}}}`, typ: profile.Created, sub: "u1", at: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)},
		{name: "time in milliseconds", body: `{"type":"user.new","at":1735718400123,"data":{"user":{"id":"u1"}}}`, typ: profile.Created, sub: "u1", at: time.Date(2025, 1, 1, 8, 0, 0, 123e6, time.UTC)},
		{name: "unmapped type ignored", body: `{"type":"login.after","data":{"user":{"id":"u1"}}}`},
		{name: "unmapped type ignored, even without a subject", body: `{"type":"ping"}`},
		{name: "type is case-sensitive", body: `{"type":"USER.NEW","data":{"user":{"id":"u1"}}}`},
		{name: "no type", body: `{"data":{"user":{"id":"u1"}}}`, want: source.ErrMalformed},
		{name: "type an object", body: `{"type":{"name":"user.new"},"data":{"user":{"id":"u1"}}}`, want: source.ErrMalformed},
		{name: "no subject", body: `{"type":"user.new","data":{"user":{}}}`, want: source.ErrMalformed},
		{name: "subject path through an array", body: `{"type":"user.new","data":[{"user":{"id":"u1"}}]}`, want: source.ErrMalformed},
		{name: "empty subject", body: `{"type":"user.new","data":{"user":{"id":""}}}`, want: source.ErrMalformed},
		{name: "fractional subject", body: `{"type":"user.new","data":{"user":{"id":1.5}}}`, want: source.ErrMalformed},
		{name: "subject not UTF-8", body: "{\"type\":\"user.new\",\"data\":{\"user\":{\"id\":\"u\xff\"}}}", want: source.ErrMalformed},
		{name: "consent without purpose", body: `{"type":"consent.yes","data":{"user":{"id":"u1"}}}`, want: source.ErrMalformed},
		{name: "unreadable time", body: `{"type":"user.new","at":"yesterday","data":{"user":{"id":"u1"}}}`, want: source.ErrMalformed},
		{name: "id an array", body: `{"type":"user.new","id":["e1"],"data":{"user":{"id":"u1"}}}`, want: source.ErrMalformed},
		{name: "not an object", body: `["user.new"]`, want: source.ErrMalformed},
		{name: "bad json", body: `{"type":"user.new",`, want: source.ErrMalformed},
	}
	p := mustParser(t, thinConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), request([]byte(tt.body), "X-Api-Key", kratosKey))
			if tt.want != nil {
				if !errors.Is(err, tt.want) || evs != nil {
					t.Fatalf("want %v, got %v %v", tt.want, evs, err)
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
			if e.Type != tt.typ || e.Subject != tt.sub || e.Purpose != tt.purpose || e.Profile != nil || (tt.id != "" && e.ID != tt.id) || (tt.id == "" && len(e.ID) != 64) {
				t.Fatalf("%+v", e)
			}
			if want := tt.at; !want.IsZero() && !e.OccurredAt.Equal(want) || want.IsZero() && !e.OccurredAt.Equal(testNow) {
				t.Fatalf("occurred at %v", e.OccurredAt)
			}
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestClientIDFromAnArray(t *testing.T) {
	evs, err := mustParser(t, thinConfig()).Parse(context.Background(),
		request([]byte(`{"type":"user.new","data":{"user":{"id":"u1"},"app":["web","ios"]}}`), "X-Api-Key", kratosKey))
	if err != nil || len(evs) != 1 || evs[0].ClientID != "web" {
		t.Fatalf("%+v %v", evs, err)
	}
}

// Fields: absent and null paths leave the field empty; arrays are
// addressed by index; a value of the wrong shape is refused without
// quoting it; deletes carry no profile.
func TestFields(t *testing.T) {
	cfg := thinConfig()
	cfg.Fields = map[string]string{"email": "data.user.emails[0].value", "phone_number": "data.user.phones[1]",
		"email_verified": "data.user.emails[0].verified", "address.locality": "data.user.city",
		"custom.tags": "data.user.tags", "custom.missing": "data.user.nothing", "locale": "data.user.locale"}
	p := mustParser(t, cfg)
	parse := func(body string) ([]profile.Event, error) {
		return p.Parse(context.Background(), request([]byte(body), "X-Api-Key", kratosKey))
	}
	evs, err := parse(`{"type":"user.changed","data":{"user":{"id":"u1","emails":[{"value":"a@example.com","verified":true}],"phones":["+49301","+49302"],"city":"Berlin","tags":["x",1],"locale":null}}}`)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	want := &profile.Profile{Sub: "u1", Email: "a@example.com", EmailVerified: true, PhoneNumber: "+49302",
		Address: &profile.Address{Locality: "Berlin"}, Custom: map[string]any{"tags": []any{"x", 1.0}}}
	if !reflect.DeepEqual(evs[0].Profile, want) {
		t.Fatalf("got  %+v\nwant %+v", evs[0].Profile, want)
	}
	if evs, err := parse(`{"type":"user.changed","data":{"user":{"id":"u1","phones":["+49301"]}}}`); err != nil || evs[0].Profile.PhoneNumber != "" {
		t.Fatalf("an index past the end: %+v %v", evs, err)
	}
	_, err = parse(`{"type":"user.changed","data":{"user":{"id":"u1","emails":[{"value":{"secret":"jane@example.com"}}]}}}`)
	if !errors.Is(err, source.ErrMalformed) || !strings.Contains(err.Error(), "email") || strings.Contains(err.Error(), "jane@") {
		t.Fatalf("wrong shape: %v", err)
	}
	if evs, err := parse(`{"type":"user.gone","data":{"user":{"id":"u1","emails":[{"value":"a@example.com"}]}}}`); err != nil || evs[0].Profile != nil {
		t.Fatalf("delete: %+v %v", evs, err)
	}
}

// Two hooks without an id get different ids unless their bodies are equal.
func TestBodyHashID(t *testing.T) {
	p := mustParser(t, thinConfig())
	id := func(body string) string {
		evs, err := p.Parse(context.Background(), request([]byte(body), "X-Api-Key", kratosKey))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%v %v", evs, err)
		}
		return evs[0].ID
	}
	a := `{"type":"user.changed","at":1,"data":{"user":{"id":"u1"}}}`
	b := `{"type":"user.changed","at":2,"data":{"user":{"id":"u1"}}}`
	if id(a) != id(a) || id(a) == id(b) {
		t.Fatal("body hash ids")
	}
}

// The sample is valid JSON and the secret in testdata decodes as the
// README shows it.
func TestSampleIsJSON(t *testing.T) {
	if !json.Valid(kratosBody(t)) {
		t.Fatal("sample")
	}
}

// What Authenticate sets is what the Parser accepts, in every mode.
func TestAuthenticate(t *testing.T) {
	body := kratosBody(t)
	for _, mut := range []func(*Config){
		func(c *Config) {},
		func(c *Config) { c.Auth, c.Header, c.Secrets = AuthBasic, "", []string{"u:p"} },
		func(c *Config) { c.Auth, c.Header = AuthHMAC, "" },
		func(c *Config) {
			c.Auth, c.Encoding, c.SignaturePrefix, c.TimestampHeader = AuthHMAC, EncodingBase64, "v1=", "X-Ts"
		},
	} {
		c := kratosConfig(t)
		mut(&c)
		h := http.Header{}
		if err := Authenticate(c, h, body, testNow); err != nil {
			t.Fatal(err)
		}
		if _, err := mustParser(t, c).Parse(context.Background(), source.Request{Header: h, Body: body, Now: testNow}); err != nil {
			t.Errorf("%s: %v", c.Auth, err)
		}
	}
}
