package akamai

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
	"github.com/profilesync/profilesync/pkg/source"
)

// benchSET is a ~2 KB entityUpdated SET (many changed attributes), signed
// with the vector's key.
func benchSET(b *testing.B, v vector) []byte {
	ev := entity("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f")
	var attrs []string
	for i := range 40 {
		attrs = append(attrs, fmt.Sprintf("customAttribute%02d", i))
	}
	ev["attributes"] = attrs
	ev["globalSub"] = "capture-v1://us.janraincapture.com/abcd1234efgh5678ijkl9012mn/user/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
	body, err := fake.SignWith(v.key(b), map[string]any{"typ": "secevent+jwt", "alg": "RS256", "kid": testKID},
		claims([]string{v.ExpectedAud}, "entityUpdated", ev))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkParseAkamai(b *testing.B) {
	v := loadVector(b)
	srv, _ := jwksServer(b, v.JWKS)
	p := mustParser(b, testConfig(srv.URL, v.ExpectedAud), egress.Client(egress.Local, 5*time.Second))
	req := source.Request{Body: benchSET(b, v), Now: fixedNow}
	if _, err := p.Parse(context.Background(), req); err != nil { // warm the JWKS cache
		b.Fatal(err)
	}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorAkamai is the least any SET receiver must do: one RS256
// verification with a key in hand and one generic decode of the claims.
func BenchmarkFloorAkamai(b *testing.B) {
	v := loadVector(b)
	body := benchSET(b, v)
	pub := &v.key(b).PublicKey
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		first, last := bytes.IndexByte(body, '.'), bytes.LastIndexByte(body, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(string(body[last+1:]))
		digest := sha256.Sum256(body[:last])
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(string(body[first+1 : last]))
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
	}
}
