package ingress

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/standardwebhooks"
)

var (
	clerkKey    = []byte("ingress-test-signing-key-32bytes")
	clerkSecret = "whsec_" + base64.StdEncoding.EncodeToString(clerkKey)
	now         = time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
)

const userCreated = `{"data":{"id":"user_1","object":"user","first_name":"Jane","last_name":"Doe",
"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"jane@example.com",
"verification":{"status":"verified"}}],"phone_numbers":[],"created_at":1735725600000,"updated_at":1735725600000},
"object":"event","timestamp":1735725600123,"type":"user.created"}`

func mappings(t testing.TB) *mapping.Set {
	t.Helper()
	crm, err := mapping.Parse("crm.yaml", []byte("version: 1\nconnector: generic\nevents: [created, updated, deleted]\nfields: {LastName: family_name}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := mapping.Parse("audit.yaml", []byte("version: 1\nconnector: generic\nevents: [created, deleted]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return mapping.NewSet(crm, audit)
}

func newHandler(t testing.TB) (*Handler, *MemoryQueue) {
	t.Helper()
	cfg, err := standardwebhooks.ParseConfig([]byte(`{"kind":"standardwebhooks","secrets":["` + clerkSecret + `"]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := standardwebhooks.NewParser("clerk", cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := &MemoryQueue{}
	return &Handler{Sources: map[string]source.Parser{"clerk": p}, Router: mappings(t), Queue: q,
		Now: func() time.Time { return now }}, q
}

// signed is an API Gateway v2 request carrying body with a valid Standard
// Webhooks signature.
func signed(body string) events.APIGatewayV2HTTPRequest {
	id, ts := "msg_1", fmt.Sprint(now.Unix())
	mac := hmac.New(sha256.New, clerkKey)
	mac.Write([]byte(id + "." + ts + "." + body))
	sig := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	req := events.APIGatewayV2HTTPRequest{
		RawPath:        "/webhooks/clerk",
		PathParameters: map[string]string{"source": "clerk"},
		Headers:        map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig, "content-type": "application/json"},
		Body:           body,
	}
	req.RequestContext.HTTP.Method = "POST"
	return req
}

func TestAcceptedEventGoesToEverySubscribedTarget(t *testing.T) {
	h, q := newHandler(t)
	resp, err := h.Handle(context.Background(), signed(userCreated))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Body != `{"enqueued":2,"events":1,"routed":[{"event_id":"msg_1","targets":["audit","crm"]}]}` {
		t.Fatalf("response %d %s", resp.StatusCode, resp.Body)
	}
	for _, target := range []string{"audit", "crm"} {
		msgs := q.Messages(target)
		if len(msgs) != 1 {
			t.Fatalf("%s got %d messages", target, len(msgs))
		}
		env, err := profile.UnmarshalEnvelope(msgs[0].Body)
		if err != nil {
			t.Fatal(err)
		}
		e := env.Event
		if env.Target != target || e.Type != profile.Created || e.Subject != "user_1" || e.ID != "msg_1" ||
			e.Source != "clerk" || !e.ReceivedAt.Equal(now) || e.Profile == nil || e.Profile.FamilyName != "Doe" {
			t.Errorf("%s envelope = %+v", target, env)
		}
		if a := msgs[0].Attributes; a["event_id"] != "msg_1" || a["event_type"] != "created" || a["source"] != "clerk" {
			t.Errorf("attributes = %v", a)
		}
	}
}

func TestUpdateSkipsTargetsThatDoNotSubscribe(t *testing.T) {
	h, q := newHandler(t)
	body := strings.Replace(userCreated, `"type":"user.created"`, `"type":"user.updated"`, 1)
	resp, _ := h.Handle(context.Background(), signed(body))
	if resp.StatusCode != 200 || len(q.Messages("crm")) != 1 || len(q.Messages("audit")) != 0 {
		t.Fatalf("%d %s crm=%d audit=%d", resp.StatusCode, resp.Body, len(q.Messages("crm")), len(q.Messages("audit")))
	}
}

func TestBadInputIsRejectedAndNothingEnqueued(t *testing.T) {
	big := strings.Repeat("x", MaxBody+1)
	tests := []struct {
		name   string
		req    func() events.APIGatewayV2HTTPRequest
		status int
		body   string
	}{
		{"no signature", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			delete(r.Headers, "webhook-signature")
			return r
		}, 401, `{"error":"missing or invalid signature"}`},
		{"tampered body", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			r.Body = strings.Replace(r.Body, "Jane", "Joan", 1)
			return r
		}, 401, `{"error":"missing or invalid signature"}`},
		{"stale timestamp", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			r.Headers["webhook-timestamp"] = fmt.Sprint(now.Add(-10 * time.Minute).Unix())
			return r
		}, 401, `{"error":"missing or invalid signature"}`},
		{"unknown source", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			r.PathParameters["source"] = "okta"
			return r
		}, 404, `{"error":"unknown source"}`},
		{"body over 256 KiB", func() events.APIGatewayV2HTTPRequest { return signed(big) }, 413, `{"error":"body too large"}`},
		{"base64 body over 256 KiB", func() events.APIGatewayV2HTTPRequest {
			r := signed(big)
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(big)), true
			return r
		}, 413, `{"error":"body too large"}`},
		{"signed but not JSON", func() events.APIGatewayV2HTTPRequest { return signed(`{"type":`) }, 400, `{"error":"malformed body"}`},
		{"empty body", func() events.APIGatewayV2HTTPRequest { return signed("") }, 400, `{"error":"empty body"}`},
		{"bad base64", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			r.Body, r.IsBase64Encoded = "%%%", true
			return r
		}, 400, `{"error":"malformed body"}`},
		{"GET", func() events.APIGatewayV2HTTPRequest {
			r := signed(userCreated)
			r.RequestContext.HTTP.Method = "GET"
			return r
		}, 405, `{"error":"method not allowed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, q := newHandler(t)
			resp, err := h.Handle(context.Background(), tt.req())
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Body != tt.body {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("content type %q", resp.Headers["Content-Type"])
			}
			if q.Len() != 0 {
				t.Errorf("%d messages enqueued for rejected input", q.Len())
			}
		})
	}
}

func TestBase64BodyIsDecodedBeforeVerifying(t *testing.T) {
	h, q := newHandler(t)
	r := signed(userCreated)
	r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(userCreated)), true
	resp, _ := h.Handle(context.Background(), r)
	if resp.StatusCode != 200 || q.Len() != 2 {
		t.Fatalf("%d %s, %d messages", resp.StatusCode, resp.Body, q.Len())
	}
}

func TestEnqueueFailureAsksForResend(t *testing.T) {
	h, q := newHandler(t)
	q.Fail = map[string]error{"crm": errors.New("sqs: AWS.SimpleQueueService.NonExistentQueue arn:aws:sqs:eu-west-1:123:crm")}
	resp, _ := h.Handle(context.Background(), signed(userCreated))
	if resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503 so the CIAM resends", resp.StatusCode)
	}
	if strings.Contains(resp.Body, "sqs") || strings.Contains(resp.Body, "arn") {
		t.Fatalf("response leaks internals: %s", resp.Body)
	}
}

func TestNonProfileEventIsAcknowledged(t *testing.T) {
	h, q := newHandler(t)
	body := strings.Replace(userCreated, `"type":"user.created"`, `"type":"session.created"`, 1)
	resp, _ := h.Handle(context.Background(), signed(body))
	var got map[string]int
	_ = json.Unmarshal([]byte(resp.Body), &got)
	if resp.StatusCode != 200 || got["events"] != 0 || q.Len() != 0 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}
