package ingress

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/okta"
)

const oktaSecret = "ingress-test-okta-secret"

func withOkta(t *testing.T) (*Handler, *MemoryQueue) {
	t.Helper()
	h, q := newHandler(t)
	cfg, err := okta.ParseConfig([]byte(`{"kind":"okta","secrets":["` + oktaSecret + `"],"org_url":"https://acme.okta.com","api_token":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := okta.NewParser("okta", cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Sources["okta"] = p
	return h, q
}

func get(src string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/" + src, PathParameters: map[string]string{"source": src}, Headers: headers}
	r.RequestContext.HTTP.Method = "GET"
	return r
}

func TestChallengeIsAnsweredOnlyByChallengers(t *testing.T) {
	const challenge = "X6PCxyz7fk9ivZ5Uo1CpXwmqkrZN3fQvAhm3Lh81"
	tests := []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		status int
		body   string
	}{
		{"okta verification", get("okta", map[string]string{"x-okta-verification-challenge": challenge, "authorization": oktaSecret}),
			200, `{"verification":"` + challenge + `"}`},
		{"okta verification without the secret", get("okta", map[string]string{"x-okta-verification-challenge": challenge}),
			200, `{"verification":"` + challenge + `"}`},
		{"okta with a wrong secret", get("okta", map[string]string{"x-okta-verification-challenge": challenge, "authorization": "guess"}),
			401, `{"error":"missing or invalid signature"}`},
		{"okta without a challenge", get("okta", map[string]string{"authorization": oktaSecret}), 400, `{"error":"malformed challenge"}`},
		{"a source that does not verify URLs", get("clerk", nil), 405, `{"error":"method not allowed"}`},
		{"unknown source", get("auth0", nil), 404, `{"error":"unknown source"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, q := withOkta(t)
			resp, err := h.Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Body != tt.body || resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("got %d %s %v, want %d %s", resp.StatusCode, resp.Body, resp.Headers, tt.status, tt.body)
			}
			if q.Len() != 0 {
				t.Errorf("%d messages enqueued by a GET", q.Len())
			}
		})
	}
	var _ source.Challenger = (*okta.Parser)(nil)
}

// Other methods stay refused, for Okta too.
func TestOnlyGetAndPost(t *testing.T) {
	h, _ := withOkta(t)
	r := get("okta", map[string]string{"x-okta-verification-challenge": "c"})
	r.RequestContext.HTTP.Method = "PUT"
	if resp, _ := h.Handle(context.Background(), r); resp.StatusCode != 405 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, resp.Body)
	}
}
