package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	authregistry "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// The claim verifier's samples run through verifier.New with the
// shipped rules, the sandbox's registries and an in-memory store: the
// verify request and the queued update both verify the hcp claim; the
// schedule finds no approval to remind of (no shipped rule is manual).

type verifierWant struct {
	status  int            // API: HTTP status
	verdict claims.Verdict // the hcp rule's verdict (API answer, or the store after the queue)
	kind    string         // the event's shape: api, sqs or schedule
}

var verifierExpectations = map[string]verifierWant{
	"verifier-claims-verify.json": {kind: "api", status: 200, verdict: claims.Verified},
	"verifier-sqs.json":           {kind: "sqs", verdict: claims.Verified},
	"verifier-reminders.json":     {kind: "schedule"},
}

func newSampleVerifier(t *testing.T) (*verifier.Verifier, *claims.MemoryStore) {
	t.Helper()
	fn, _ := quietConfig(t)
	secrets := fn.Secrets.(MemorySecrets)
	var cidaas map[string]any
	_ = json.Unmarshal(secrets["cidaas"], &cidaas)
	sb := strings.TrimSuffix(cidaas["base_url"].(string), "/cidaas")
	secrets["claims-api"], _ = json.Marshal(map[string]any{"callers": map[string]any{"dev": map[string]any{"api_key": sandbox.DevClaimsAPIKey}}})
	secrets["npi-registry"], _ = json.Marshal(map[string]any{"base_url": sb + "/npi/api/"})
	secrets["vies-registry"], _ = json.Marshal(map[string]any{"base_url": sb + "/vies/rest-api"})
	rules, err := claims.Loader{CheckSettings: authregistry.CheckSettings}.LoadFS(mappings.FS, claims.RulesDir)
	if err != nil {
		t.Fatal(err)
	}
	store := claims.NewMemoryStore()
	v, err := verifier.New(context.Background(), verifier.Ports{Function: fn, Rules: rules, Authorities: authregistry.Build,
		Store: store, Queue: &delivery.MemoryQueue{}, Continue: &ingress.MemoryQueue{}})
	if err != nil {
		t.Fatal(err)
	}
	return v, store
}

func runVerifierSample(t *testing.T, name string, raw []byte) {
	w, ok := verifierExpectations[name]
	if !ok {
		t.Fatalf("%s has no expectation in events_verifier_test.go", name)
	}
	v, store := newSampleVerifier(t)
	ctx := context.Background()
	switch w.kind {
	case "api":
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		if req.RouteKey != "ANY /claims/{proxy+}" {
			t.Fatalf("routeKey %q is not the verifier's route", req.RouteKey)
		}
		r := httptest.NewRequest(req.RequestContext.HTTP.Method, req.RawPath, bytes.NewReader([]byte(req.Body)))
		for k, val := range req.Headers {
			r.Header.Set(k, val)
		}
		rec := httptest.NewRecorder()
		v.HTTP.ServeHTTP(rec, r)
		var resp claims.VerifyResponse
		if rec.Code != w.status || json.Unmarshal(rec.Body.Bytes(), &resp) != nil || len(resp.Results) != 1 || resp.Results[0].Verdict != w.verdict {
			t.Fatalf("status %d %s; want %d with one %s result", rec.Code, rec.Body, w.status, w.verdict)
		}
	case "sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		resp, err := v.Queue.Handle(ctx, ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v, %v", resp.BatchItemFailures, err)
		}
		d, err := store.Latest(ctx, janeSub, "hcp")
		if err != nil || d == nil || d.Verdict != w.verdict {
			t.Fatalf("stored decision %+v, %v; want %s", d, err, w.verdict)
		}
	case "schedule":
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
			t.Fatalf("detail-type %q, source %q: not a scheduled event", ev.DetailType, ev.Source)
		}
		if reminded, expired, err := v.Verifier.Remind(ctx, nil); err != nil || reminded+expired != 0 {
			t.Fatalf("Remind = %d, %d, %v; nothing is pending", reminded, expired, err)
		}
	default:
		t.Fatalf("unknown kind %q", w.kind)
	}
}
