package devstack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

func invokeLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestResolveFunction(t *testing.T) {
	ms, err := loadMappings(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, target string }{
		{"IngressFunction", ""},
		{"ingress", ""},
		{"SalesforceSyncFunction", "salesforce"},
		{"WebhookSyncFunction", "webhook"},
		{"sync:salesforce", "salesforce"},
		{"sync:webhook", "webhook"},
	}
	for _, tt := range tests {
		fn, err := ResolveFunction(tt.name, ms)
		if err != nil || fn.Target != tt.target {
			t.Errorf("ResolveFunction(%q) = %+v, %v; want target %q", tt.name, fn, err, tt.target)
		}
	}
	for _, bad := range []string{"salesforceSyncFunction", "sync:nope", "sync:", "SyncFunction", "Ingress"} {
		if _, err := ResolveFunction(bad, ms); err == nil || !strings.Contains(err.Error(), "SalesforceSyncFunction") {
			t.Errorf("ResolveFunction(%q): err = %v, want one listing the known functions", bad, err)
		}
	}
	if got := SyncFunctionID("my-crm"); got != "MyCrmSyncFunction" {
		t.Errorf("SyncFunctionID(my-crm) = %s", got)
	}
}

// invokeAPIEvent signs body for src as `send` would, for a stack at devURL, and
// wraps it as API Gateway would.
func invokeAPIEvent(t *testing.T, src string, body []byte, now time.Time, withPathParam bool) []byte {
	t.Helper()
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	signSET := func(claims []byte) ([]byte, error) {
		var c map[string]any
		if err := json.Unmarshal(claims, &c); err != nil {
			return nil, err
		}
		return sb.Akamai.Sign(c)
	}
	w, err := Sign(sandbox.DevSecrets("http://127.0.0.1:3000")[src], body, now, signSET)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /webhooks/{source}", RawPath: "/webhooks/" + src,
		RawQueryString: w.Query.Encode(), Headers: map[string]string{}, Body: string(w.Body),
	}
	ev.RequestContext.HTTP.Method = "POST"
	if withPathParam {
		ev.PathParameters = map[string]string{"source": src}
	}
	for k := range w.Header {
		ev.Headers[strings.ToLower(k)] = w.Header.Get(k)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInvokeIngress(t *testing.T) {
	fixed := time.Date(2025, 1, 1, 10, 5, 0, 0, time.UTC)
	tests := []struct {
		name      string
		event     []byte
		now       time.Time
		status    int
		wantQueue int // messages on the salesforce queue afterwards
	}{
		{"cidaas", invokeAPIEvent(t, "cidaas", sendCidaasBody, time.Now(), true), time.Time{}, 200, 1},
		{"cidaas, source from the path", invokeAPIEvent(t, "cidaas", sendCidaasBody, time.Now(), false), time.Time{}, 200, 1},
		{"clerk at a fixed time", invokeAPIEvent(t, "clerk", sendClerkBody, fixed, true), fixed, 200, 1},
		{"clerk at a fixed time, invoked now", invokeAPIEvent(t, "clerk", sendClerkBody, fixed, true), time.Time{}, 401, 0},
		{"akamai, JWKS from the in-process sandbox", invokeAPIEvent(t, "akamai", sendAkamaiBody, time.Now(), true), time.Time{}, 200, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := Invoke(context.Background(), InvokeOptions{
				Function: "IngressFunction", Event: tt.event, DataDir: dir, Now: tt.now, Log: invokeLog(),
			})
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(res.Response, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if res.Records != nil {
				t.Errorf("ingress returned records: %s", res.Records)
			}
			if got := invokeQueued(t, dir, "salesforce"); got != tt.wantQueue {
				t.Errorf("salesforce queue holds %d messages, want %d", got, tt.wantQueue)
			}
		})
	}
}

func invokeQueued(t *testing.T, dir, target string) int {
	t.Helper()
	db, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := local.NewQueues(db, local.QueueConfig{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	visible, _, _, err := q.Depth(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	return visible
}

// invokeSQSEvent wraps one event per target as the event source mapping would.
func invokeSQSEvent(t *testing.T, target string, e profile.Event, ids ...string) []byte {
	t.Helper()
	var ev events.SQSEvent
	for _, id := range ids {
		body, err := profile.NewEnvelope(target, e).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if id == "wrong-target" {
			body, _ = profile.NewEnvelope("elsewhere", e).Marshal()
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: id, Body: string(body), EventSource: "aws:sqs",
			Attributes: map[string]string{"ApproximateReceiveCount": "1"},
		})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInvokeSync(t *testing.T) {
	now := time.Now().UTC()
	created := profile.Event{ID: "evt-1", Source: "cidaas", Type: profile.Created, Subject: sendJaneSub, OccurredAt: now, ReceivedAt: now}
	tests := []struct {
		function   string
		target     string
		ids        []string
		wantDead   string // the message the handler dead-letters, as the Lambda would
		wantRecord string
	}{
		{"SalesforceSyncFunction", "salesforce", []string{"m-1"}, "", `"LastName":"Doe"`},
		{"sync:webhook", "webhook", []string{"m-1"}, "", `"family":"Doe"`},
		{"SalesforceSyncFunction", "salesforce", []string{"m-1", "wrong-target"}, "wrong-target", `"LastName":"Doe"`},
	}
	for _, tt := range tests {
		t.Run(tt.function+"/"+strings.Join(tt.ids, ","), func(t *testing.T) {
			res, err := Invoke(context.Background(), InvokeOptions{
				Function: tt.function, Event: invokeSQSEvent(t, tt.target, created, tt.ids...),
				DataDir: t.TempDir(), Log: invokeLog(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"batchItemFailures":[]}`; string(res.Response) != want {
				t.Errorf("response %s, want %s", res.Response, want)
			}
			var dead string
			for _, d := range res.DeadLetters {
				dead += d.Msg.MessageId
			}
			if dead != tt.wantDead {
				t.Errorf("dead-lettered %q, want %q", dead, tt.wantDead)
			}
			if !strings.Contains(string(res.Records), tt.wantRecord) {
				t.Errorf("records %s lack %s", res.Records, tt.wantRecord)
			}
		})
	}
}

func TestInvokeRejectsBadInput(t *testing.T) {
	tests := []struct{ name, function, event, want string }{
		{"unknown function", "NopeFunction", `{}`, "no function"},
		{"ingress event not JSON", "ingress", `nope`, "API Gateway"},
		{"sync event not JSON", "sync:salesforce", `nope`, "SQS event"},
		{"sync event without records", "sync:salesforce", `{"Records":[]}`, "no records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Invoke(context.Background(), InvokeOptions{Function: tt.function, Event: []byte(tt.event), DataDir: t.TempDir(), Log: invokeLog()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// The Cognito trigger: the events/ sample is enqueued for the targets and
// handed back unchanged; another pool's event is handed back and
// enqueues nothing.
func TestInvokeCognito(t *testing.T) {
	sample := raw(t, eventsDir+"/cognito-post-confirmation.json")
	other := []byte(strings.Replace(string(sample), sandbox.DevCognitoUserPoolID, "eu-central-1_Other", 1))
	for name, tt := range map[string]struct {
		event     []byte
		wantQueue int
	}{"sample": {sample, 1}, "another pool": {other, 0}} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := Invoke(context.Background(), InvokeOptions{Function: CognitoFunctionID, Event: tt.event, DataDir: dir, Log: invokeLog()})
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Response) != string(tt.event) {
				t.Errorf("response %s, want the event unchanged", res.Response)
			}
			if got := invokeQueued(t, dir, "salesforce"); got != tt.wantQueue {
				t.Errorf("salesforce queue holds %d messages, want %d", got, tt.wantQueue)
			}
		})
	}
	if _, err := Invoke(context.Background(), InvokeOptions{Function: CognitoFunctionID, Event: []byte("{"), DataDir: t.TempDir(), Log: invokeLog()}); err == nil {
		t.Error("invoke with an event that is not JSON succeeded")
	}
}
