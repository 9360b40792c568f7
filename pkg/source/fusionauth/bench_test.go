package fusionauth

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchBody is a ~2.5 KB user.update with original and user, data{} and
// two registrations: a large but ordinary FusionAuth event.
func benchBody() string {
	var data []string
	for i := range 12 {
		data = append(data, fmt.Sprintf(`"field_%02d":"value-%02d-abcdefghijklmnop"`, i, i))
	}
	u := `{"active":true,"email":"jane.doe@example.com","firstName":"Jane","lastName":"Doe","id":"4f3e2d1c-0b9a-4877-8a6b-5c4d3e2f1a0b",` +
		`"insertInstant":1735725600000,"lastUpdateInstant":1735725900400,"tenantId":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d","verified":true,` +
		`"mobilePhone":"+4915112345678","preferredLanguages":["en"],"data":{` + strings.Join(data, ",") + `},` +
		`"registrations":[{"applicationId":"85a03867-dccf-4882-adde-1a79aeec50df","roles":["user"],"id":"r1"},{"applicationId":"3c219e58-ed0e-4b18-ad48-f4f92793ae32","id":"r2"}]}`
	return `{"event":{"createInstant":1735725900500,"id":"e2b7c6d5-4a3f-4e21-9b8c-7d6e5f4a3b2c","info":{"ipAddress":"198.51.100.7"},` +
		`"original":` + u + `,"tenantId":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d","type":"user.update","user":` + u + `}}`
}

func BenchmarkParseFusionAuthHS256(b *testing.B) {
	body := benchBody()
	req := request(SignHS256(testKey, "k", []byte(body)), body, time.Unix(1735725900, 0))
	p := mustParser(b, hmacConfig(testKey), nil)
	benchParse(b, p, req.Body, func() error { _, err := p.Parse(context.Background(), req); return err })
}

func BenchmarkParseFusionAuthRS256(b *testing.B) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	url, _ := jwksServer(b, map[string]crypto.PublicKey{"rsa-1": &k.PublicKey})
	body := benchBody()
	req := request(signJWT(b, k, "RS256", "rsa-1", map[string]any{"request_body_sha256": BodyHash([]byte(body))}), body, time.Unix(1735725900, 0))
	p := mustParser(b, Config{JWKSURL: url, APIURL: "https://a", APIKey: "k"}, localClient())
	benchParse(b, p, req.Body, func() error { _, err := p.Parse(context.Background(), req); return err })
}

func benchParse(b *testing.B, _ *Parser, body []byte, parse func() error) {
	if err := parse(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parse(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorFusionAuthHS256 is the least any verifier must do: split
// and decode the JWT, one HMAC over it, one SHA-256 over the body, one
// generic decode.
func BenchmarkFloorFusionAuthHS256(b *testing.B) {
	body := []byte(benchBody())
	jwt := SignHS256(testKey, "k", body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		last := strings.LastIndexByte(jwt, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(jwt[last+1:])
		m := hmac.New(sha256.New, []byte(testKey))
		m.Write([]byte(jwt[:last]))
		if !hmac.Equal(sig, m.Sum(nil)) {
			b.Fatal("signature")
		}
		first := strings.IndexByte(jwt, '.')
		claims, _ := base64.RawURLEncoding.DecodeString(jwt[first+1 : last])
		var c struct {
			H string `json:"request_body_sha256"`
		}
		_ = json.Unmarshal(claims, &c)
		sum := sha256.Sum256(body)
		if c.H != base64.StdEncoding.EncodeToString(sum[:]) {
			b.Fatal("hash")
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
