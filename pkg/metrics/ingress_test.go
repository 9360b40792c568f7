package metrics_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/metrics"
	"github.com/profilesync/profilesync/pkg/wiring"
)

var clerkKey = []byte("metrics-test-signing-key-32bytes")

// secrets are the functions' secrets by name.
type secrets map[string]string

func (s secrets) Secret(_ context.Context, name string) ([]byte, error) {
	v, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("no secret %q", name)
	}
	return []byte(v), nil
}

func clerkSecret() string {
	return `{"kind":"standardwebhooks","secrets":["whsec_` + base64.StdEncoding.EncodeToString(clerkKey) + `"]}`
}

// clerkUser is a Clerk user.created webhook for subject sub.
func clerkUser(sub string) string {
	return `{"data":{"id":"` + sub + `","object":"user","first_name":"Jane","last_name":"Doe",
"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"jane@example.com",
"verification":{"status":"verified"}}],"phone_numbers":[],"created_at":1735725600000,"updated_at":1735725600000},
"object":"event","timestamp":1735725600123,"type":"user.created"}`
}

// signed is a POST /webhooks/clerk with a valid Standard Webhooks
// signature at tNow.
func signed(id, body string) events.APIGatewayV2HTTPRequest {
	ts := fmt.Sprint(tNow.Unix())
	mac := hmac.New(sha256.New, clerkKey)
	mac.Write([]byte(id + "." + ts + "." + body))
	req := events.APIGatewayV2HTTPRequest{
		RawPath:        "/webhooks/clerk",
		PathParameters: map[string]string{"source": "clerk"},
		Headers: map[string]string{"webhook-id": id, "webhook-timestamp": ts, "content-type": "application/json",
			"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))},
		Body: body,
	}
	req.RequestContext.HTTP.Method = "POST"
	return req
}

// brokenQueue refuses every batch.
type brokenQueue struct{}

func (brokenQueue) SendBatch(context.Context, string, []ingress.Message) error {
	return errors.New("queue unavailable")
}

// newIngress is the ingress function as wiring builds it, its metrics
// into out.
func newIngress(t *testing.T, q ingress.Queue, out io.Writer, logs *bytes.Buffer) *ingress.Handler {
	t.Helper()
	crm, err := mapping.Parse("crm.yaml", []byte("version: 1\nconnector: generic\nevents: [created, updated, deleted]\nfields: {LastName: family_name}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fn := wiring.Function{Mappings: mapping.NewSet(crm), Sources: []string{"clerk"}, Secrets: secrets{"clerk": clerkSecret()},
		HTTP: egress.Client(egress.Local, time.Second), Log: slog.New(slog.NewJSONHandler(logs, nil)),
		Now: func() time.Time { return tNow }, Metrics: out}
	h, err := wiring.Ingress(context.Background(), wiring.IngressPorts{Function: fn, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestIngressMetricsPerSourceAndReason(t *testing.T) {
	good := signed("msg_1", clerkUser("user_1"))
	tampered := signed("msg_2", clerkUser("user_2"))
	tampered.Body = strings.Replace(tampered.Body, "Jane", "Joan", 1)
	unknown := signed("msg_3", clerkUser("user_3"))
	unknown.PathParameters["source"] = "no-such-source-" + strings.Repeat("x", 40)
	big := signed("msg_4", strings.Repeat("x", ingress.MaxBody+1))
	notJSON := signed("msg_5", `{"type":`)
	empty := signed("msg_6", "")
	invalid := signed("msg_7", strings.Replace(clerkUser(""), `"id":""`, `"id":"bad\ufffdid"`, 1))
	get := signed("msg_8", "")
	get.RequestContext.HTTP.Method = "GET"

	tests := []struct {
		name     string
		req      events.APIGatewayV2HTTPRequest
		queue    ingress.Queue
		status   int
		source   string
		counts   map[string]float64
		reason   string
		byReason string // the metric counted under the reason
	}{
		{"accepted", good, &ingress.MemoryQueue{}, 200, "clerk", map[string]float64{"Accepted": 1, "Events": 1, "Rejected": 0, "Unavailable": 0}, "", ""},
		{"bad signature", tampered, &ingress.MemoryQueue{}, 401, "clerk", map[string]float64{"Accepted": 0, "Events": 0, "Rejected": 1, "Unavailable": 0}, "bad_signature", "Rejected"},
		{"unknown source", unknown, &ingress.MemoryQueue{}, 404, "unknown", map[string]float64{"Rejected": 1}, "unknown_source", "Rejected"},
		{"too large", big, &ingress.MemoryQueue{}, 413, "clerk", map[string]float64{"Rejected": 1}, "too_large", "Rejected"},
		{"malformed", notJSON, &ingress.MemoryQueue{}, 400, "clerk", map[string]float64{"Rejected": 1}, "malformed", "Rejected"},
		{"empty", empty, &ingress.MemoryQueue{}, 400, "clerk", map[string]float64{"Rejected": 1}, "empty_body", "Rejected"},
		// The parser refuses an id that is no key itself (ErrMalformed), so
		// it is counted as malformed; invalid_event is the ingress's own
		// check behind every parser's.
		{"invalid id", invalid, &ingress.MemoryQueue{}, 400, "clerk", map[string]float64{"Rejected": 1}, "malformed", "Rejected"},
		{"queue down", good, brokenQueue{}, 503, "clerk", map[string]float64{"Accepted": 0, "Rejected": 0, "Unavailable": 1}, "enqueue_failed", "Unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			h := newIngress(t, tc.queue, &out, &logs)
			resp, err := h.Handle(context.Background(), tc.req)
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("answer %d %s, err %v; want %d", resp.StatusCode, resp.Body, err, tc.status)
			}
			docs := parseEMF(t, out.Bytes())
			want := 2
			if tc.reason == "" {
				want = 1
			}
			if len(docs) != want {
				t.Fatalf("%d lines, want %d:\n%s", len(docs), want, out.String())
			}
			src := docs[0]
			if src.dim(metrics.DimSource) != tc.source || len(src.Dims[0]) != 1 {
				t.Errorf("source line %v, want Source %s alone", src.Root, tc.source)
			}
			wantCounts(t, src, tc.counts)
			if tc.reason != "" {
				r := docs[1]
				if r.dim(metrics.DimSource) != tc.source || r.dim(metrics.DimReason) != tc.reason {
					t.Errorf("reason line %v, want %s/%s", r.Root, tc.source, tc.reason)
				}
				wantCounts(t, r, map[string]float64{tc.byReason: 1})
			}
		})
	}
	t.Run("GET challenge is not metered", func(t *testing.T) {
		var out, logs bytes.Buffer
		h := newIngress(t, &ingress.MemoryQueue{}, &out, &logs)
		if _, err := h.Handle(context.Background(), get); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("a GET wrote metrics: %s", out.String())
		}
	})
}

// Without Function.Metrics (the local stack) the ingress meters nothing.
func TestIngressWithoutMetricsWriter(t *testing.T) {
	var logs bytes.Buffer
	h := newIngress(t, &ingress.MemoryQueue{}, nil, &logs)
	if h.Meter != nil {
		t.Errorf("meter %v without a metrics writer", h.Meter)
	}
}
