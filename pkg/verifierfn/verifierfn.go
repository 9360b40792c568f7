// Package verifierfn is the claim verifier Lambda's one handler: the
// function is invoked by three event sources and tells them apart by the
// event's shape. An SQS batch (Records from aws:sqs) is the verifier's
// queue; an API Gateway HTTP API event (payload 2.0: routeKey and
// requestContext) is POST /claims/verify or an approval link; an
// EventBridge scheduled event (detail-type "Scheduled Event") is the
// hourly reminder run. Anything else is refused without being logged
// (it could carry profile data).
//
// The handlers themselves are built by pkg/wiring; this package only
// routes events to them.
package verifierfn

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/apigw"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// Handler dispatches the verifier function's invocations.
type Handler struct {
	// Queue consumes an SQS batch.
	Queue func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// HTTP serves API Gateway requests.
	HTTP http.Handler
	// Remind is the scheduled run.
	Remind func(context.Context) (reminded, expired int, err error)
	Log    *slog.Logger
}

// New is the handler of a built verifier.
func New(v *verifier.Verifier, log *slog.Logger) *Handler {
	return &Handler{Queue: v.Queue.Handle, HTTP: v.HTTP, Remind: v.Remind, Log: log}
}

// RemindResult is the answer to a scheduled invocation.
type RemindResult struct {
	Reminded int `json:"reminded"`
	Expired  int `json:"expired"`
}

// ErrUnknownEvent is the answer to an event of no shape the function
// serves.
var ErrUnknownEvent = errors.New("verifier: unknown event shape (want SQS, API Gateway HTTP API v2 or a scheduled event)")

// shape is what tells the event sources apart.
type shape struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	RouteKey       *string         `json:"routeKey"`
	RequestContext json.RawMessage `json:"requestContext"`
	DetailType     string          `json:"detail-type"`
	Source         string          `json:"source"`
}

// Handle serves one invocation.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var s shape
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, ErrUnknownEvent
	}
	switch {
	case len(s.Records) > 0 && s.Records[0].EventSource == "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, ErrUnknownEvent
		}
		return h.Queue(ctx, ev)
	case s.RouteKey != nil && len(s.RequestContext) > 0:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, ErrUnknownEvent
		}
		return apigw.Handler(h.HTTP)(ctx, ev)
	case s.DetailType == "Scheduled Event" && s.Source == "aws.events":
		reminded, expired, err := h.Remind(ctx)
		h.log().LogAttrs(ctx, slog.LevelInfo, "claims: reminder run", slog.Int("reminded", reminded), slog.Int("expired", expired))
		if err != nil {
			// EventBridge retries the invocation; approvals reminded
			// already are not due again.
			return nil, err
		}
		return RemindResult{Reminded: reminded, Expired: expired}, nil
	}
	h.log().LogAttrs(ctx, slog.LevelWarn, "verifier: unknown event shape", slog.Int("bytes", len(raw)))
	return nil, ErrUnknownEvent
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
