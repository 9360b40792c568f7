package lambdatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// demoSubject is the sandbox's demo customer Jane Doe (demo_profiles.json).
const demoSubject = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"

const createdType = "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY"

func TestIngress(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	ingress := startFunction(t, s, bins["ingress"], "IngressFunction", nil)
	queues := s.targetQueues(t)

	t.Run("unknown source is 404", func(t *testing.T) {
		resp := postWebhook(t, ingress, "nosuch", sandbox.DevCidaasAPIKey, cidaasBody(newRequestID()))
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404; body %s", resp.StatusCode, resp.Body)
		}
		s.requireEmpty(t, queues)
	})
	t.Run("bad api key is 401", func(t *testing.T) {
		resp := postWebhook(t, ingress, "cidaas", "not-the-key", cidaasBody(newRequestID()))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401; body %s", resp.StatusCode, resp.Body)
		}
		s.requireEmpty(t, queues)
	})
	t.Run("cidaas account created is enqueued for every target", func(t *testing.T) {
		eventID := newRequestID()
		msgs := enqueueCreated(t, s, ingress, eventID)
		for target, m := range msgs {
			env, err := profile.UnmarshalEnvelope([]byte(*m.Body))
			if err != nil {
				t.Fatalf("%s: body is not an envelope: %v\n%s", target, err, *m.Body)
			}
			e := env.Event
			if env.Target != target || e.ID != eventID || e.Source != "cidaas" || e.Type != profile.Created ||
				e.Subject != demoSubject || e.SourceType != createdType {
				t.Errorf("%s: envelope %+v", target, env)
			}
			if got := m.MessageAttributes["event_id"].StringValue; got == nil || *got != eventID {
				t.Errorf("%s: message attribute event_id = %v, want %s", target, got, eventID)
			}
			s.deleteMessage(t, queues[target], m)
		}
		s.requireEmpty(t, queues)
	})
}

// enqueueCreated posts a cidaas account-created webhook through ingress,
// expects 200, and returns the one message each target queue then holds
// (received, so in flight; not deleted).
func enqueueCreated(t *testing.T, s *stack, ingress *function, eventID string) map[string]sqstypes.Message {
	t.Helper()
	resp := postWebhook(t, ingress, "cidaas", sandbox.DevCidaasAPIKey, cidaasBody(eventID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", resp.StatusCode, resp.Body)
	}
	queues := s.targetQueues(t)
	var counts struct{ Events, Enqueued int }
	if err := json.Unmarshal([]byte(resp.Body), &counts); err != nil || counts.Events != 1 || counts.Enqueued != len(queues) {
		t.Fatalf("response %s, want 1 event enqueued for %d targets (%v)", resp.Body, len(queues), err)
	}
	out := map[string]sqstypes.Message{}
	for target, url := range queues {
		got, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: awssdk.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive %s: %v", target, err)
		}
		if len(got.Messages) != 1 {
			t.Fatalf("%s queue holds %d messages, want 1", target, len(got.Messages))
		}
		out[target] = got.Messages[0]
	}
	return out
}

// postWebhook invokes ingress with a POST /webhooks/{source} as API
// Gateway's HTTP API (payload 2.0) hands it over, carrying apiKey in the
// header the dev cidaas secret names.
func postWebhook(t *testing.T, ingress *function, source, apiKey, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return postWebhookWith(t, ingress, source, map[string]string{"apikey": apiKey}, body)
}

// postWebhookWith is postWebhook with the source's own headers (a
// signature, its id and timestamp).
func postWebhookWith(t *testing.T, ingress *function, source string, own map[string]string, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	now := time.Now().UTC()
	path := "/webhooks/" + source
	headers := map[string]string{
		"content-type":      "application/json",
		"content-length":    strconv.Itoa(len(body)),
		"host":              "lambdatest.execute-api.us-east-1.amazonaws.com",
		"user-agent":        "cidaas-webhook/1.0",
		"x-forwarded-for":   "192.0.2.10",
		"x-forwarded-proto": "https",
	}
	for k, v := range own {
		headers[k] = v
	}
	req := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST /webhooks/{source}",
		RawPath:        path,
		Headers:        headers,
		PathParameters: map[string]string{"source": source},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST /webhooks/{source}",
			AccountID:    moto.AccountID,
			Stage:        "$default",
			RequestID:    randomHex(8),
			APIID:        "lambdatest",
			DomainName:   "lambdatest.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "lambdatest",
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: http.MethodPost, Path: path, Protocol: "HTTP/1.1",
				SourceIP: "192.0.2.10", UserAgent: "cidaas-webhook/1.0",
			},
		},
		Body: body,
	}
	var resp events.APIGatewayV2HTTPResponse
	raw := ingress.invoke(t, req)
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("ingress response %s: %v", raw, err)
	}
	return resp
}

// cidaasBody is a thin cidaas webhook for the demo customer.
func cidaasBody(eventID string) string {
	return fmt.Sprintf(`{"eventtype":%q,"id":%q,"sub":%q,"tenant_key":"acme-shop","createdTime":%q,"data":{"sub":%q,"provider":"self"}}`,
		createdType, eventID, demoSubject, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), demoSubject)
}

// targetQueues is the ingress function's QUEUE_URLS: target → queue URL.
func (s *stack) targetQueues(t *testing.T) map[string]string {
	t.Helper()
	var urls map[string]string
	if err := json.Unmarshal([]byte(s.functionEnv(t, "IngressFunction")["QUEUE_URLS"]), &urls); err != nil {
		t.Fatalf("QUEUE_URLS: %v", err)
	}
	if len(urls) == 0 {
		t.Fatal("QUEUE_URLS names no target")
	}
	return urls
}

// requireEmpty fails unless every queue holds no message: visible, in
// flight or delayed.
func (s *stack) requireEmpty(t *testing.T, queues map[string]string) {
	t.Helper()
	targets := make([]string, 0, len(queues))
	for target := range queues {
		targets = append(targets, target)
	}
	sort.Strings(targets)
	for _, target := range targets {
		out, err := s.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
			QueueUrl: awssdk.String(queues[target]),
			AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
			},
		})
		if err != nil {
			t.Fatalf("%s queue attributes: %v", target, err)
		}
		for k, v := range out.Attributes {
			if v != "0" {
				t.Errorf("%s queue: %s = %s, want 0", target, k, v)
			}
		}
	}
}

func (s *stack) deleteMessage(t *testing.T, queueURL string, m sqstypes.Message) {
	t.Helper()
	_, err := s.sqs.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: awssdk.String(queueURL), ReceiptHandle: m.ReceiptHandle})
	if err != nil {
		t.Fatalf("delete message: %v", err)
	}
}
