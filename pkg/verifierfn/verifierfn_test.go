package verifierfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/verifierfn"
)

// recorder is a Handler whose ports record which one was called.
func recorder(called *string) *verifierfn.Handler {
	return &verifierfn.Handler{
		Queue: func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			*called = "queue:" + ev.Records[0].MessageId
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "m-2"}}}, nil
		},
		HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*called = "http:" + r.Method + " " + r.URL.Path
			w.WriteHeader(http.StatusAccepted)
		}),
		Remind: func(context.Context) (int, int, error) {
			*called = "remind"
			return 2, 1, nil
		},
	}
}

func TestDispatch(t *testing.T) {
	apiEvent, err := os.ReadFile("../../events/ingress-cidaas-account-created.json")
	if err != nil {
		t.Fatal(err)
	}
	var api events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(apiEvent, &api); err != nil {
		t.Fatal(err)
	}
	api.RawPath, api.RequestContext.HTTP.Method = "/claims/verify", http.MethodPost
	apiRaw, _ := json.Marshal(api)
	sqsRaw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", EventSource: "aws:sqs", Body: "{}"}}})
	scheduled := `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",
		"account":"123456789012","time":"2026-12-02T16:00:00Z","region":"eu-central-1",
		"resources":["arn:aws:events:eu-central-1:123456789012:rule/remind"],"detail":{}}`
	for _, c := range []struct {
		name, event, called, answer string
	}{
		{"sqs", string(sqsRaw), "queue:m-1", `{"batchItemFailures":[{"itemIdentifier":"m-2"}]}`},
		{"api gateway", string(apiRaw), "http:POST /claims/verify", ""},
		{"schedule", scheduled, "remind", `{"reminded":2,"expired":1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var called string
			out, err := recorder(&called).Handle(t.Context(), json.RawMessage(c.event))
			if err != nil {
				t.Fatal(err)
			}
			if called != c.called {
				t.Errorf("called %q, want %q", called, c.called)
			}
			b, _ := json.Marshal(out)
			if c.answer != "" && string(b) != c.answer {
				t.Errorf("answer %s, want %s", b, c.answer)
			}
			if c.name == "api gateway" {
				if r, ok := out.(events.APIGatewayV2HTTPResponse); !ok || r.StatusCode != http.StatusAccepted {
					t.Errorf("answer %s, want the handler's 202", b)
				}
			}
		})
	}
	for _, bad := range []string{`{}`, `[]`, `"x"`, `{"Records":[{"eventSource":"aws:sns"}]}`,
		`{"detail-type":"Scheduled Event","source":"custom"}`, `{"routeKey":"$default"}`} {
		var called string
		if _, err := recorder(&called).Handle(t.Context(), json.RawMessage(bad)); !errors.Is(err, verifierfn.ErrUnknownEvent) || called != "" {
			t.Errorf("%s: called %q, %v; want ErrUnknownEvent and nothing called", bad, called, err)
		}
	}
}
