package ingress

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/source/entra"
)

const entraState = "ingress-test-entra-client-state"

// A Graph source through the real handler: the validation POST (empty
// body, token in the query) is answered 200 text/plain before the body is
// read, a notification 202, a wrong clientState 401.
func TestEntraAnswersAsGraphAsks(t *testing.T) {
	h, q := newHandler(t)
	cfg, err := entra.ParseConfig([]byte(`{"client_states":["` + entraState + `"],"tenant_id":"t1","client_id":"c","client_secret":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := entra.NewParser("entra", cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Sources["entra"] = p
	post := func(rawQuery, body string) events.APIGatewayV2HTTPRequest {
		r := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/entra", RawQueryString: rawQuery, Body: body,
			PathParameters: map[string]string{"source": "entra"}, Headers: map[string]string{"content-type": "text/plain; charset=utf-8"}}
		r.RequestContext.HTTP.Method = "POST"
		return r
	}
	const token = "Validation: Testing client application reachability for subscription Request-Id: 3b1d0e2a-0000-4000-8000-000000000001"
	note := func(state string) string {
		return `{"value":[{"subscriptionId":"s-1","changeType":"updated","resource":"Users/u-1","resourceData":{"id":"u-1"},"clientState":"` + state + `","tenantId":"t1"}]}`
	}
	for _, tt := range []struct {
		name     string
		req      events.APIGatewayV2HTTPRequest
		status   int
		ctype    string
		body     string
		enqueued int
	}{
		{"validation", post("validationToken="+url.QueryEscape(token), ""), 200, "text/plain", token, 0},
		{"validation with a control character", post("validationToken=a%0Ab", ""), 400, "application/json", `{"error":"malformed handshake"}`, 0},
		{"notification", post("", note(entraState)), 202, "application/json", "", 1},
		{"wrong clientState", post("", note("ingress-test-guessed-state")), 401, "application/json", `{"error":"missing or invalid signature"}`, 0},
		{"empty body without a token", post("", ""), 400, "application/json", `{"error":"empty body"}`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := q.Len()
			resp, err := h.Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Headers["Content-Type"] != tt.ctype || (tt.body != "" && resp.Body != tt.body) {
				t.Fatalf("got %d %q %s, want %d %q %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body, tt.status, tt.ctype, tt.body)
			}
			if tt.status == 202 && !strings.Contains(resp.Body, `"events":1`) {
				t.Errorf("202 without the summary: %s", resp.Body)
			}
			if n := q.Len() - before; (tt.enqueued == 0) != (n == 0) {
				t.Errorf("%d messages enqueued, want %d events' worth", n, tt.enqueued)
			}
		})
	}
}
