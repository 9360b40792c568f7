package ingress

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/source/ssf"
)

// An SSF source through the real handler: RFC 8935's 202 and 400 bodies,
// with the transmitter's JWKS served on 127.0.0.1.
func TestSSFAnswersAsRFC8935Asks(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	x, y := make([]byte, 32), make([]byte, 32)
	key.X.FillBytes(x)
	key.Y.FillBytes(y)
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64(x), "y": b64(y)}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(jwks) }))
	t.Cleanup(srv.Close)
	p, err := ssf.NewParser("ssf", ssf.Config{JWKSURL: srv.URL, Issuer: "https://idp.example.com/", Audience: "https://ps.example.com/webhooks/ssf"},
		egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(claims map[string]any) string {
		h, _ := json.Marshal(map[string]string{"typ": "secevent+jwt", "alg": "ES256", "kid": "k1"})
		c, _ := json.Marshal(claims)
		in := b64(h) + "." + b64(c)
		d := sha256.Sum256([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return in + "." + b64(sig)
	}
	set := func(aud string, event string) string {
		return sign(map[string]any{"iss": "https://idp.example.com/", "aud": aud, "jti": "j-1", "iat": now.Unix(),
			"sub_id": map[string]string{"format": "iss_sub", "iss": "https://idp.example.com/", "sub": "u-1"},
			"events": map[string]any{event: map[string]any{}}})
	}
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
		enqueued   int
	}{
		{"account-purged", set("https://ps.example.com/webhooks/ssf", ssf.AccountPurged), 202, `{"enqueued":2,"events":1,"routed":[{"event_id":"j-1/` + ssf.AccountPurged + `","targets":["audit","crm"]}]}`, 2},
		{"another audience", set("https://elsewhere.example.com", ssf.AccountPurged), 400, `{"description":"The SET audience does not match this receiver","err":"invalid_audience"}`, 0},
		{"not a SET", "hello", 400, `{"description":"The request body cannot be parsed as a SET, or the SET fails validation","err":"invalid_request"}`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, q := newHandler(t)
			h.Sources["ssf"] = p
			req := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/ssf", PathParameters: map[string]string{"source": "ssf"},
				Headers: map[string]string{"content-type": "application/secevent+jwt"}, Body: tt.body}
			req.RequestContext.HTTP.Method = "POST"
			resp, err := h.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Body != tt.want || resp.Headers["Content-Type"] != "application/json" {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			if n := len(q.Messages("crm")) + len(q.Messages("audit")); n != tt.enqueued {
				t.Fatalf("%d enqueued", n)
			}
		})
	}
}
