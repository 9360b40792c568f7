package akamai

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
)

func TestParseVector(t *testing.T) {
	v := loadVector(t)
	srv, n := jwksServer(t, v.JWKS)
	p := mustParser(t, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	now := time.Unix(v.FixedUnixTime, 0).UTC()
	evs, err := p.Parse(context.Background(), source.Request{Body: []byte(v.RawBody), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := profile.Event{
		ID: "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f", Source: "akamai-acme", Type: profile.Updated,
		Subject: "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", OccurredAt: time.Unix(1735725604, 0).UTC(), ReceivedAt: now,
		Environment: "prod", ClientID: "zyxw9876vuts5432rqpo1098nmlk7654", SourceType: "entityUpdated",
	}
	if len(evs) != 1 || evs[0] != want {
		t.Fatalf("got %+v\nwant %+v", evs, want)
	}
	if err := evs[0].Validate(); err != nil {
		t.Fatal(err)
	}
	// The JWKS is cached: a second parse fetches nothing.
	if _, err := p.Parse(context.Background(), source.Request{Body: []byte(v.RawBody), Now: now}); err != nil || n.Load() != 1 {
		t.Fatalf("second parse: err %v, %d JWKS fetches", err, n.Load())
	}
}

func hs256(header, claims any, key []byte) []byte {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return []byte(in + "." + enc.EncodeToString(m.Sum(nil)))
}

func TestParseRejects(t *testing.T) {
	v := loadVector(t)
	priv := v.key(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	aud := []string{v.ExpectedAud}
	hdr := map[string]any{"typ": "secevent+jwt", "alg": "RS256", "kid": testKID}
	with := func(k string, val any) map[string]any {
		h := map[string]any{}
		for a, b := range hdr {
			h[a] = b
		}
		if val == nil {
			delete(h, k)
		} else {
			h[k] = val
		}
		return h
	}
	sign := func(key *rsa.PrivateKey, h, c any) []byte {
		b, err := fake.SignWith(key, h, c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := claims(aud, "entityUpdated", entity("u1", "e1"))
	tampered := []byte(v.RawBody)
	tampered[len(tampered)/3] ^= 1
	enc := base64.RawURLEncoding
	noneTok := enc.EncodeToString([]byte(`{"typ":"secevent+jwt","alg":"none","kid":"`+testKID+`"}`)) + "." +
		enc.EncodeToString([]byte(`{"iss":"`+testIssuer+`"}`)) + "."

	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"tampered", tampered, source.ErrUnauthenticated},
		{"wrong key, right kid", sign(other, hdr, good), source.ErrUnauthenticated},
		{"alg none", []byte(noneTok), source.ErrUnauthenticated},
		{"alg HS256 keyed with the public key", hs256(with("alg", "HS256"), good, priv.PublicKey.N.Bytes()), source.ErrUnauthenticated},
		{"alg RS512", sign(priv, with("alg", "RS512"), good), source.ErrUnauthenticated},
		{"typ JWT", sign(priv, with("typ", "JWT"), good), source.ErrUnauthenticated},
		{"no typ", sign(priv, with("typ", nil), good), source.ErrUnauthenticated},
		{"no kid", sign(priv, with("kid", nil), good), source.ErrUnauthenticated},
		{"crit", sign(priv, with("crit", []string{"exp"}), good), source.ErrUnauthenticated},
		{"jku is ignored, key still pinned", sign(other, with("jku", "https://evil.example/jwks"), good), source.ErrUnauthenticated},
		{"wrong iss", sign(priv, hdr, func() map[string]any {
			c := claims(aud, "entityUpdated", entity("u1", "e1"))
			c["iss"] = "https://evil"
			return c
		}()), source.ErrUnauthenticated},
		{"wrong aud", sign(priv, hdr, claims([]string{"https://other"}, "entityUpdated", entity("u1", "e1"))), source.ErrUnauthenticated},
		{"not a JWS", []byte(`{"events":{}}`), source.ErrUnauthenticated},
		{"four parts", append([]byte("a."), sign(priv, hdr, good)...), source.ErrUnauthenticated},
		{"claims not JSON", sign(priv, hdr, json.RawMessage(`"just a string"`)), source.ErrMalformed},
		{"no events", sign(priv, hdr, map[string]any{"iss": testIssuer, "aud": v.ExpectedAud}), source.ErrMalformed},
		{"entity without sub", sign(priv, hdr, claims(aud, "entityCreated", map[string]any{"id": "e1"})), source.ErrMalformed},
	}
	srv, _ := jwksServer(t, v.JWKS)
	p := mustParser(t, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := p.Parse(context.Background(), source.Request{Body: tt.body, Now: fixedNow})
			t.Log(err)
			if !errors.Is(err, tt.want) || evs != nil {
				t.Fatalf("want %v, got %v (%d events)", tt.want, err, len(evs))
			}
		})
	}
}

func TestParseEventTypes(t *testing.T) {
	v := loadVector(t)
	priv := v.key(t)
	srv, _ := jwksServer(t, v.JWKS)
	p := mustParser(t, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	hdr := map[string]any{"typ": "application/secevent+jwt", "alg": "RS256", "kid": testKID}
	tests := []struct {
		name   string
		claims map[string]any
		want   []profile.EventType
	}{
		{"created, aud as string", claims(v.ExpectedAud, "entityCreated", entity("u1", "e1")), []profile.EventType{profile.Created}},
		{"updated", claims([]string{"x", v.ExpectedAud}, "entityUpdated", entity("u1", "e1")), []profile.EventType{profile.Updated}},
		{"deleted", claims(v.ExpectedAud, "entityDeleted", entity("u1", "e1")), []profile.EventType{profile.Deleted}},
		{"test", claims(v.ExpectedAud, "test", map[string]any{"id": "t1"}), nil},
		{"unknown type", claims(v.ExpectedAud, "userCredentialUpdated", entity("u1", "e1")), nil},
		{"other entity type", claims(v.ExpectedAud, "entityUpdated", map[string]any{"entityType": "device", "sub": "d1", "id": "e1"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := fake.SignWith(priv, hdr, tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow})
			if err != nil || len(evs) != len(tt.want) {
				t.Fatalf("got %+v, %v", evs, err)
			}
			for i, e := range evs {
				if e.Type != tt.want[i] || e.ID != "e1" || e.Subject != "u1" || e.ClientID != "zyxw9876" {
					t.Errorf("%+v", e)
				}
				if err := e.Validate(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestParseKeyRotation(t *testing.T) {
	fk, err := fake.NewFake("cid", "csecret")
	if err != nil {
		t.Fatal(err)
	}
	srv := newFakeServer(t, fk)
	p := mustParser(t, testConfig(srv.URL+"/akamai/login/jwk", "https://hooks"), egress.Client(egress.Local, 5*time.Second))
	parse := func(now time.Time) error {
		body, err := fk.Sign(claims("https://hooks", "entityUpdated", entity("u1", "e1")))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse(context.Background(), source.Request{Body: body, Now: now})
		return err
	}
	if err := parse(fixedNow); err != nil {
		t.Fatal(err)
	}
	if err := fk.Rotate(); err != nil {
		t.Fatal(err)
	}
	// Unknown kid: one refetch, then it verifies.
	if err := parse(fixedNow.Add(time.Minute)); err != nil || fk.Calls("/login/jwk") != 2 {
		t.Fatalf("after rotation: %v, %d fetches", err, fk.Calls("/login/jwk"))
	}
	// A kid nobody publishes: refetched at most once per 30 s.
	bogus, _ := fake.SignWith(mustKey(t), map[string]any{"typ": "secevent+jwt", "alg": "RS256", "kid": "nope"}, claims("https://hooks", "entityUpdated", entity("u1", "e1")))
	for i, d := range []time.Duration{2 * time.Minute, 2*time.Minute + 10*time.Second, 2*time.Minute + 20*time.Second} {
		_, err := p.Parse(context.Background(), source.Request{Body: bogus, Now: fixedNow.Add(d)})
		if !errors.Is(err, source.ErrUnauthenticated) {
			t.Fatalf("bogus kid %d: %v", i, err)
		}
	}
	if n := fk.Calls("/login/jwk"); n != 3 {
		t.Fatalf("JWKS fetches = %d, want 3", n)
	}
	_, _ = p.Parse(context.Background(), source.Request{Body: bogus, Now: fixedNow.Add(3 * time.Minute)})
	if n := fk.Calls("/login/jwk"); n != 4 {
		t.Fatalf("JWKS fetches = %d, want 4 once 30 s passed", n)
	}
}

func TestParseJWKSUnavailable(t *testing.T) {
	fk, _ := fake.NewFake("cid", "csecret")
	srv := newFakeServer(t, fk)
	p := mustParser(t, testConfig(srv.URL+"/akamai/login/jwk", "https://hooks"), egress.Client(egress.Local, 5*time.Second))
	fk.FailNext(1, 503, 0)
	body, _ := fk.Sign(claims("https://hooks", "entityUpdated", entity("u1", "e1")))
	_, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow})
	if err == nil || errors.Is(err, source.ErrUnauthenticated) || errors.Is(err, source.ErrMalformed) || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("want a transient fault, got %v", err)
	}
	// Within 30 s no new fetch is tried; after, it recovers.
	if _, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow.Add(10 * time.Second)}); err == nil {
		t.Fatal("want rate-limited failure")
	}
	if _, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow.Add(31 * time.Second)}); err != nil {
		t.Fatal(err)
	}
}

func mustKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseConcurrent(t *testing.T) {
	v := loadVector(t)
	srv, n := jwksServer(t, v.JWKS)
	p := mustParser(t, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := p.Parse(context.Background(), source.Request{Body: []byte(v.RawBody), Now: fixedNow})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != 1 {
		t.Fatalf("%d JWKS fetches for 8 concurrent parses, want 1", n.Load())
	}
}
