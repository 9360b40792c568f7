package akamai

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

// sampleSETs are the decoded header and claims of the samples in testdata.
func sampleSETs(f *testing.F) (headers, claims []json.RawMessage) {
	for _, name := range []string{"testdata/akamai-entityUpdated.jwt.json", "testdata/akamai-entityDeleted.jwt.json", "testdata/akamai-test.jwt.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var s struct{ Header, Claims json.RawMessage }
		if err := json.Unmarshal(b, &s); err != nil {
			f.Fatal(err)
		}
		headers, claims = append(headers, s.Header), append(claims, s.Claims)
	}
	return headers, claims
}

// fuzzParser is a Parser of the test vector's JWKS, served on loopback.
func fuzzParser(f *testing.F, v vector) *Parser {
	srv, _ := jwksServer(f, v.JWKS)
	return mustParser(f, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
}

// FuzzParseClaims signs arbitrary claims with the vector's key, so every
// input passes the signature and reaches the claims decoder; only iss and
// aud may then refuse it as unauthenticated.
func FuzzParseClaims(f *testing.F) {
	v := loadVector(f)
	_, claims := sampleSETs(f)
	for _, c := range claims {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"iss":"` + testIssuer + `","aud":"` + v.ExpectedAud + `","toe":1e300,"iat":-1,"events":{"entityUpdated":{"sub":"s"}}}`))
	// A key of invalid UTF-8 (U+FFFD once decoded): ErrMalformed, not an event the ingress refuses.
	f.Add([]byte(`{"iss":"` + testIssuer + `","aud":"` + v.ExpectedAud + `","events":{"entityUpdated":{"sub":"s` + "\xff" + `"}}}`))
	p, priv := fuzzParser(f, v), v.key(f)
	hdr := b64([]byte(`{"typ":"secevent+jwt","alg":"RS256","kid":"` + testKID + `"}`))
	f.Fuzz(func(t *testing.T, c []byte) {
		// Signed by hand, so any bytes, JSON or not, reach the decoder.
		in := hdr + "." + b64(c)
		digest := sha256.Sum256([]byte(in))
		sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(in + "." + b64(sig))
		evs, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow})
		if errors.Is(err, source.ErrUnauthenticated) && !strings.Contains(err.Error(), "iss") && !strings.Contains(err.Error(), "aud") {
			t.Fatalf("validly signed token refused: %v", err)
		}
		sourcetest.CheckParse(t, "akamai-acme", fixedNow, evs, err)
	})
}

// FuzzVerifyJWS feeds arbitrary tokens: nothing but the vector itself may
// verify, and none may make the parser fetch the JWKS more than the rate
// limit allows.
func FuzzVerifyJWS(f *testing.F) {
	v := loadVector(f)
	f.Add([]byte(v.RawBody))
	f.Add([]byte("e30.e30.e30"))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	headers, claims := sampleSETs(f)
	for i := range headers {
		f.Add([]byte(b64(headers[i]) + "." + b64(claims[i]) + ".c2ln"))
	}
	p := fuzzParser(f, v)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(context.Background(), source.Request{Body: body, Now: fixedNow})
		if err == nil && string(bytes.TrimSpace(body)) != v.RawBody {
			t.Fatalf("accepted a token that is not the vector: %q", body)
		}
		if err != nil && !errors.Is(err, source.ErrUnauthenticated) && !errors.Is(err, source.ErrMalformed) {
			t.Fatalf("unclassified error: %v", err)
		}
		sourcetest.CheckParse(t, "akamai-acme", fixedNow, evs, err)
	})
}

// FuzzMapRecord decodes arbitrary Capture records as Fetch does; a decoded
// profile must be one the queue's envelope can carry.
func FuzzMapRecord(f *testing.F) {
	demo, err := sandbox.DemoProfiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range demo {
		b, _ := json.Marshal(fake.Record(p))
		f.Add(b)
	}
	f.Add([]byte(`{"uuid":"u","lastUpdated":"9999-12-31 23:59:59 -0100","birthday":"x","primaryAddress":{"zip":1},"consents":{"a":{"granted":"yes"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := mapRecord(b)
		if err != nil {
			return
		}
		if p == nil {
			t.Fatal("nil profile without error")
		}
		e := profile.Event{ID: "e", Source: "akamai", Type: profile.Updated, Subject: "s", OccurredAt: fixedNow, Profile: p}
		e.Profile.Sub = ""
		if _, err := profile.NewEnvelope("t", e).Marshal(); err != nil {
			t.Fatalf("profile does not marshal: %v", err)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
