package devstack

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source/cognito"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// events/ holds a sample per function and case: each is what `sam local
// invoke -e` and `profilesync invoke -e` take, and each runs through its
// handler here. `go test ./pkg/devstack -run TestEventSamples -update`
// regenerates them (signatures are deterministic).

var update = flag.Bool("update", false, "regenerate events/ samples")

const eventsDir = "../../events"

// fixtureTime is when the samples were "sent"; invoke them with
// --now 2025-01-01T10:05:00Z so signature timestamps verify.
var fixtureTime = time.Date(2025, 1, 1, 10, 5, 0, 0, time.UTC)

// devURL is the local stack's default address, which the samples' Akamai
// audience names.
const devURL = "http://127.0.0.1:3000"

type want struct {
	status   int      // ingress: HTTP status
	enqueued int      // ingress: messages enqueued
	failures []string // sync: message ids reported failed
	dead     []string // sync: message ids dead-lettered (and so not reported failed)
	records  int      // sync: records at the target afterwards
}

// Thin events (the CIAM sends only an id) are routed to the claim
// verifier's queue too: only the fetched profile tells whether a claim is
// declared.
var expectations = map[string]want{
	"ingress-cidaas-account-created.json":        {status: 200, enqueued: 3},
	"ingress-cidaas-account-deleted.json":        {status: 200, enqueued: 2},
	"ingress-cidaas-consent-revoked.json":        {status: 200, enqueued: 1},
	"ingress-akamai-entity-updated.json":         {status: 200, enqueued: 3},
	"ingress-clerk-user-updated.json":            {status: 200, enqueued: 2},
	"ingress-okta-user-updated.json":             {status: 200, enqueued: 3},
	"ingress-okta-verification.json":             {status: 200},
	"ingress-auth0-log-stream.json":              {status: 200, enqueued: 6},
	"ingress-keycloak-update-profile.json":       {status: 200, enqueued: 3},
	"ingress-zitadel-profile-changed.json":       {status: 200, enqueued: 3},
	"ingress-logto-user-data-updated.json":       {status: 200, enqueued: 2},
	"ingress-generic-kratos-settings-after.json": {status: 200, enqueued: 2},
	"ingress-fusionauth-user-update.json":        {status: 200, enqueued: 2},
	"ingress-entra-user-updated.json":            {status: 202, enqueued: 3},
	"ingress-entra-validation.json":              {status: 200},
	"ingress-gigya-account-updated.json":         {status: 200, enqueued: 3},
	"ingress-gigya-bad-signature.json":           {status: 401},
	"ingress-ssf-account-purged.json":            {status: 202, enqueued: 2},
	"ingress-ssf-bad-signature.json":             {status: 400},
	"cognito-post-confirmation.json":             {enqueued: 2},
	"ingress-generic-wrong-api-key.json":         {status: 401},
	"ingress-cidaas-bad-api-key.json":            {status: 401},
	"ingress-clerk-bad-signature.json":           {status: 401},
	"ingress-unknown-source.json":                {status: 404},
	"ingress-cidaas-malformed.json":              {status: 400},
	"sync-salesforce.json":                       {records: 1},
	"sync-salesforce-partial-failure.json":       {dead: []string{"5f0b6c1e-0000-4000-8000-000000000002"}, records: 1},
	"sync-webhook.json":                          {records: 2},
}

func TestEventSamples(t *testing.T) {
	if *update {
		writeSamples(t)
	}
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "env.json" {
			continue
		}
		seen[name] = true
		if strings.HasPrefix(name, "verifier-") {
			t.Run(name, func(t *testing.T) { runVerifierSample(t, name, raw(t, f)) })
			continue
		}
		if strings.HasPrefix(name, "jobs-") {
			t.Run(name, func(t *testing.T) { runJobsSample(t, raw(t, f)) })
			continue
		}
		w, ok := expectations[name]
		if !ok {
			t.Errorf("%s has no expectation in events_test.go", name)
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			switch {
			case strings.HasPrefix(name, "cognito-"):
				runCognitoSample(t, raw, w)
			case strings.HasPrefix(name, "ingress-"):
				runIngressSample(t, raw, w)
			default:
				runSyncSample(t, strings.TrimSuffix(strings.TrimPrefix(name, "sync-"), ".json"), raw, w)
			}
		})
	}
	for name := range verifierExpectations {
		if !seen[name] {
			t.Errorf("events/%s is missing", name)
		}
	}
	for name := range expectations {
		if !seen[name] {
			t.Errorf("events/%s is missing", name)
		}
	}
	checkEnvJSON(t)
}

// sampleSecrets are the sandbox's development secrets with the sandbox at
// sbURL, and the Akamai audience of the default local stack.
func sampleSecrets(sbURL string) MemorySecrets {
	secrets := MemorySecrets(sandbox.DevSecrets(sbURL))
	var ak map[string]any
	_ = json.Unmarshal(secrets["akamai"], &ak)
	ak["audience"] = devURL + "/webhooks/akamai"
	secrets["akamai"], _ = json.Marshal(ak)
	var sf map[string]any
	_ = json.Unmarshal(secrets["ssf"], &sf)
	sf["audience"] = devURL + "/webhooks/ssf"
	secrets["ssf"], _ = json.Marshal(sf)
	return secrets
}

func quietConfig(t *testing.T) (wiring.Function, *sandbox.Sandbox) {
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	ms, err := loadMappings(nil)
	if err != nil {
		t.Fatal(err)
	}
	return wiring.Function{Mappings: ms, Sources: DefaultSources, Secrets: sampleSecrets(srv.URL),
		HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, sb
}

func runIngressSample(t *testing.T, raw []byte, w want) {
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	fn, _ := quietConfig(t)
	fn.Now = func() time.Time { return fixtureTime } // the samples' signatures are dated
	q := &ingress.MemoryQueue{}
	rules, err := LoadRules(nil) // the shipped ingress routes to the claim verifier too
	if err != nil {
		t.Fatal(err)
	}
	h, err := wiring.Ingress(context.Background(), wiring.IngressPorts{Function: fn, Queue: q, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != w.status || q.Len() != w.enqueued {
		t.Fatalf("status %d (%s), %d enqueued; want %d, %d", resp.StatusCode, resp.Body, q.Len(), w.status, w.enqueued)
	}
}

// runCognitoSample runs a trigger event through the Cognito trigger
// function's handler, built as functions/cognito builds it, with the
// "cognito" development secret's pool: Cognito must get the event back
// byte for byte, and its events must be on the queues.
func runCognitoSample(t *testing.T, raw []byte, w want) {
	fn, _ := quietConfig(t)
	fn.Sources = nil
	cfg, err := cognito.ParseConfig(fn.Secrets.(MemorySecrets)["cognito"])
	if err != nil {
		t.Fatal(err)
	}
	q := &ingress.MemoryQueue{}
	rules, err := LoadRules(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := wiring.CognitoTrigger(context.Background(), wiring.IngressPorts{Function: fn, Queue: q, Rules: rules}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tr.Handle(context.Background(), raw)
	if err != nil || string(out) != string(raw) {
		t.Fatalf("Handle = %s, %v; want the event unchanged", out, err)
	}
	if q.Len() != w.enqueued {
		t.Fatalf("%d enqueued, want %d", q.Len(), w.enqueued)
	}
}

func runSyncSample(t *testing.T, target string, raw []byte, w want) {
	target, _, _ = strings.Cut(target, "-partial")
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	fn, sb := quietConfig(t)
	q := &delivery.MemoryQueue{}
	h, err := wiring.Sync(context.Background(), wiring.SyncPorts{Function: fn, Plugins: plugins.All, Target: target,
		State: &delivery.MemoryState{}, Queue: q, Abandoned: q})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if !reflect.DeepEqual(got, w.failures) {
		t.Errorf("failures %v, want %v", got, w.failures)
	}
	var dead []string
	for _, d := range q.Dead() {
		dead = append(dead, d.Msg.MessageId)
	}
	if !reflect.DeepEqual(dead, w.dead) {
		t.Errorf("dead-lettered %v, want %v", dead, w.dead)
	}
	n := len(sb.Webhook.Records())
	if target == "salesforce" {
		n = len(sb.Salesforce.Records("Contact"))
	}
	if n != w.records {
		t.Errorf("%d records at %s, want %d", n, target, w.records)
	}
}

// checkEnvJSON checks events/env.json gives every function of the
// template the variables pkg/lambdaenv reads.
func checkEnvJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(eventsDir, "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	need := map[string][]string{"IngressFunction": {"SOURCES", "SECRET_ARNS", "QUEUE_URLS", "BODY_BUCKET", "ARCHIVE_BUCKET"},
		"CognitoTriggerFunction": {"COGNITO_USER_POOL_ID", "QUEUE_URLS", "BODY_BUCKET"},
		"VerifierFunction":       {"SOURCES", "SECRET_ARNS", "CLAIMS_TABLE", "QUEUE_URL", "DLQ_URL"},
		JobsFunctionID:           {"SOURCES", "SECRET_ARNS", "JOBS_TABLE", "JOBS_QUEUE_URL", "EXPORT_BUCKET", "QUEUE_URLS"}}
	ms, _ := loadMappings(nil)
	for _, m := range ms.All() {
		need[SyncFunctionID(m.Name)] = []string{"SOURCES", "SECRET_ARNS", "TARGET", "STATE_TABLE", "BODY_BUCKET"}
	}
	var names []string
	for fn := range need {
		names = append(names, fn)
	}
	sort.Strings(names)
	for _, fn := range names {
		for _, v := range need[fn] {
			if env[fn][v] == "" {
				t.Errorf("env.json: %s has no %s", fn, v)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func envelopeBody(t *testing.T, target string, e profile.Event) string {
	b, err := profile.NewEnvelope(target, e).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func raw(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runJobsSample runs a jobs function sample (a Scheduler invocation or an
// SQS continuation of the newsletter export) through the Lambda's
// dispatcher, as invoke does: the export is done and its part file and
// manifest are written.
func runJobsSample(t *testing.T, ev []byte) {
	t.Helper()
	res, err := Invoke(context.Background(), InvokeOptions{Function: JobsFunctionID, Event: ev, DataDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Response), `"done":true`) && !strings.Contains(string(res.Response), `"batchItemFailures":[]`) &&
		!strings.Contains(string(res.Response), `"batchItemFailures":null`) {
		t.Errorf("response %s", res.Response)
	}
	var recs struct {
		Files map[string]int64 `json:"files"`
	}
	if err := json.Unmarshal(res.Records, &recs); err != nil {
		t.Fatal(err)
	}
	var part, manifest bool
	for name := range recs.Files {
		part = part || strings.HasSuffix(name, "/part-00001.csv.gz")
		manifest = manifest || strings.HasSuffix(name, "/manifest.json")
	}
	if !part || !manifest {
		t.Errorf("files written: %v", recs.Files)
	}
}
