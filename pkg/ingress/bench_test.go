package ingress

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/registry"
)

// The benchmarks run the whole in-process ingress handler (verify, decode,
// route, enqueue to a MemoryQueue) for a ~2 KB webhook of each source, next
// to the floor: the bare signature check plus json.Unmarshal of the same
// body. `make bench` prints both; the README records the ratio.

func padded(s string, n int) string {
	// Realistic filler: the request context CIAMs attach (user agent, ip,
	// group memberships), until the body is about n bytes.
	var extra []string
	for i := 0; len(s)+len(strings.Join(extra, ","))+40 < n; i++ {
		extra = append(extra, fmt.Sprintf(`"ctx_%02d":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) group-%02d"`, i, i))
	}
	return strings.TrimSuffix(s, "}") + "," + strings.Join(extra, ",") + "}"
}

type benchCase struct {
	name  string
	h     *Handler
	req   events.APIGatewayV2HTTPRequest
	floor func() error
}

func benchHandler(b *testing.B, name string, base string) *Handler {
	raw := sandbox.DevSecrets(base)[name]
	p, _, err := registry.New(name, raw, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	return &Handler{Sources: map[string]source.Parser{name: p}, Router: mappings(b), Queue: &MemoryQueue{},
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
}

func apigw(src, body string, h map[string]string) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"source": src}, Headers: h, Body: body}
	r.RequestContext.HTTP.Method = "POST"
	return r
}

func benchCases(b *testing.B) []benchCase {
	sb, err := sandbox.New()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	var out []benchCase

	// cidaas: API key header.
	cidaasBody := padded(`{"eventtype":"ACCOUNT_MODIFIED","id":"2f6a8c1e-4b3d-4e5f-9a0b-1c2d3e4f5a6b","sub":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","tenant_key":"acme-shop","createdTime":"2025-01-01T10:00:00.000Z","data":{"sub":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","provider":"self"}}`, 2048)
	out = append(out, benchCase{
		name: "cidaas", h: benchHandler(b, "cidaas", srv.URL),
		req: apigw("cidaas", cidaasBody, map[string]string{"apikey": sandbox.DevCidaasAPIKey}),
		floor: func() error {
			if subtle.ConstantTimeCompare([]byte(sandbox.DevCidaasAPIKey), []byte(sandbox.DevCidaasAPIKey)) != 1 {
				return fmt.Errorf("key")
			}
			var m map[string]any
			return json.Unmarshal([]byte(cidaasBody), &m)
		},
	})

	// Standard Webhooks (Clerk).
	clerkBody := padded(userCreated, 2048)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sandbox.DevClerkSecret, "whsec_"))
	ts := fmt.Sprint(now.Unix())
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("msg_1." + ts + "." + clerkBody))
	sig := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	out = append(out, benchCase{
		name: "standardwebhooks", h: benchHandler(b, "clerk", srv.URL),
		req: apigw("clerk", clerkBody, map[string]string{"webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": sig}),
		floor: func() error {
			m := hmac.New(sha256.New, key)
			m.Write([]byte("msg_1." + ts + "." + clerkBody))
			want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
			if !hmac.Equal([]byte(want), []byte(sig)) {
				return fmt.Errorf("sig")
			}
			var v map[string]any
			return json.Unmarshal([]byte(clerkBody), &v)
		},
	})

	// Okta Event Hook: the static header secret.
	oktaBody := padded(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","eventId":"b5a188b9-5ece-4636-b041-482ffc2a1c93",`+
		`"eventTime":"2025-01-01T10:05:01.000Z","data":{"events":[{"uuid":"2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2b","published":"2025-01-01T10:05:00.700Z",`+
		`"eventType":"user.account.update_profile","version":"0","severity":"INFO","actor":{"id":"00u1abcdEFGH2345ijk6","type":"User"},`+
		`"client":{"id":null,"ipAddress":"198.51.100.7"},"outcome":{"result":"SUCCESS"},"target":[{"id":"00u9zyxwVUTS8765rqp4","type":"User"}]}]}}`, 2048)
	out = append(out, benchCase{
		name: "okta", h: benchHandler(b, "okta", srv.URL),
		req: apigw("okta", oktaBody, map[string]string{"authorization": sandbox.DevOktaHookSecret}),
		floor: func() error {
			if subtle.ConstantTimeCompare([]byte(sandbox.DevOktaHookSecret), []byte(sandbox.DevOktaHookSecret)) != 1 {
				return fmt.Errorf("secret")
			}
			var m map[string]any
			return json.Unmarshal([]byte(oktaBody), &m)
		},
	})

	// Auth0 Log Stream (JSONARRAY): the static Authorization value.
	var auth0Recs []string
	for i := 0; len(strings.Join(auth0Recs, ",")) < 1800; i++ {
		auth0Recs = append(auth0Recs, fmt.Sprintf(`{"log_id":"9002025010110050012345678901234567890123456789012345679%d","data":{"date":"2025-01-01T10:05:00.456Z",`+
			`"type":"sapi","description":"Update a user","client_id":"ZyXwVuTsRqPoNmLkJiHgFeDcBa987654","ip":"198.51.100.7","details":{"request":`+
			`{"method":"patch","path":"/api/v2/users/auth0%%7C677511aa22bb33cc44dd55e%d","body":{"given_name":"Jane"},"channel":"api"},"response":{"statusCode":200,"body":{}}},`+
			`"user_id":"auth0|677511aa22bb33cc44dd55e%d"}}`, i, i, i))
	}
	auth0Body := "[" + strings.Join(auth0Recs, ",") + "]"
	out = append(out, benchCase{
		name: "auth0", h: benchHandler(b, "auth0", srv.URL),
		req: apigw("auth0", auth0Body, map[string]string{"authorization": sandbox.DevAuth0Authorization}),
		floor: func() error {
			if subtle.ConstantTimeCompare([]byte(sandbox.DevAuth0Authorization), []byte(sandbox.DevAuth0Authorization)) != 1 {
				return fmt.Errorf("token")
			}
			var v []map[string]any
			return json.Unmarshal([]byte(auth0Body), &v)
		},
	})

	// Akamai SET (RS256 against the cached JWKS).
	attrs := make([]string, 60)
	for i := range attrs {
		attrs[i] = fmt.Sprintf("customAttribute%02d", i)
	}
	claims := map[string]any{
		"iss": sandbox.AkamaiIssuer, "aud": []string{srv.URL + "/webhooks/akamai"}, "iat": now.Unix(), "toe": now.Unix(),
		"jti": "6d1f0c3e-8a2b-4c7d-9e10-2f3a4b5c6d7e", "txn": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
		"events": map[string]any{"entityUpdated": map[string]any{
			"attributes": attrs, "captureApplicationId": "abcd1234efgh5678ijkl9012mn", "captureClientId": "zyxw9876vuts5432rqpo1098nmlk7654",
			"entityType": "user", "sub": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "id": "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f",
			"globalSub": "capture-v1://us.janraincapture.com/abcd1234efgh5678ijkl9012mn/user/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"}},
	}
	tok, err := sb.Akamai.Sign(claims)
	if err != nil {
		b.Fatal(err)
	}
	priv, _ := sandbox.DevAkamaiKey()
	out = append(out, benchCase{
		name: "akamai", h: benchHandler(b, "akamai", srv.URL),
		req: apigw("akamai", string(tok), map[string]string{"content-type": "application/secevent+jwt"}),
		floor: func() error {
			i := bytes.LastIndexByte(tok, '.')
			sigb, err := base64.RawURLEncoding.DecodeString(string(tok[i+1:]))
			if err != nil {
				return err
			}
			d := sha256.Sum256(tok[:i])
			if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, d[:], sigb); err != nil {
				return err
			}
			j := bytes.IndexByte(tok, '.')
			payload, err := base64.RawURLEncoding.DecodeString(string(tok[j+1 : i]))
			if err != nil {
				return err
			}
			var v map[string]any
			return json.Unmarshal(payload, &v)
		},
	})
	return out
}

func BenchmarkIngress(b *testing.B) {
	for _, c := range benchCases(b) {
		resp, err := c.h.Handle(context.Background(), c.req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%s: %d %s %v", c.name, resp.StatusCode, resp.Body, err)
		}
		// What one request makes: the events and their queue messages,
		// the work beside the floor's one decode.
		b.Logf("%s: %d bytes, %d queue messages", c.name, len(c.req.Body), c.h.Queue.(*MemoryQueue).Len())
		c.h.Queue.(*MemoryQueue).Reset()
		b.Run(c.name+"/handler", func(b *testing.B) {
			b.SetBytes(int64(len(c.req.Body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if resp, _ := c.h.Handle(context.Background(), c.req); resp.StatusCode != 200 {
					b.Fatal(resp.Body)
				}
				if i%1024 == 0 {
					c.h.Queue.(*MemoryQueue).Reset()
				}
			}
		})
		b.Run(c.name+"/floor", func(b *testing.B) {
			b.SetBytes(int64(len(c.req.Body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := c.floor(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReplay routes and encodes 1,000 archived events for two
// targets and sends them in pieces to a MemoryQueue: `profilesync
// replay`'s own cost, without the archive read or the queue.
func BenchmarkReplay(b *testing.B) {
	evs := make([]ArchivedEvent, 1000)
	for i := range evs {
		evs[i] = ArchivedEvent{Event: profile.Event{ID: fmt.Sprint("e", i), Source: "clerk", Type: profile.Created,
			Subject: fmt.Sprint("user_", i), OccurredAt: now, ReceivedAt: now,
			Profile: &profile.Profile{Sub: fmt.Sprint("user_", i), FamilyName: "Doe", GivenName: "Jane"}}}
	}
	r := &Replayer{Router: mappings(b), Queue: &MemoryQueue{}, Log: slog.New(slog.DiscardHandler)}
	b.ReportAllocs()
	for b.Loop() {
		r.Queue = &MemoryQueue{}
		if _, err := r.Send(context.Background(), r.Plan(evs, nil)); err != nil {
			b.Fatal(err)
		}
	}
}
