package ingress

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// answering is a Parser that answers as RFC 8935 asks: its outcome is the
// request body ("ok", "unauth", "malformed", "down", "badevent").
type answering struct{}

var errTransport = fmt.Errorf("no bearer: %w", source.ErrUnauthenticated)

func (answering) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	switch string(req.Body) {
	case "ok":
		return []profile.Event{{ID: "e-1", Source: "ssf", Type: profile.Deleted, Subject: "u-1", OccurredAt: now, ReceivedAt: now}}, nil
	case "unauth":
		return nil, fmt.Errorf("bad signature: %w", source.ErrUnauthenticated)
	case "transport":
		return nil, errTransport
	case "malformed":
		return nil, fmt.Errorf("no events: %w", source.ErrMalformed)
	case "badevent":
		return []profile.Event{{ID: "e-1", Source: "ssf", Type: "nonsense", Subject: "u-1", OccurredAt: now, ReceivedAt: now}}, nil
	}
	return nil, errors.New("jwks down")
}

func (answering) AcceptedStatus() int { return 202 }

func (answering) Rejection(err error) (int, []byte, bool) {
	switch {
	case errors.Is(err, errTransport):
		return 0, nil, false
	case errors.Is(err, source.ErrUnauthenticated):
		return 400, []byte(`{"err":"authentication_failed","description":"x"}`), true
	}
	return 400, []byte(`{"err":"invalid_request","description":"x"}`), true
}

func TestAnswererShapesTheAnswers(t *testing.T) {
	for _, tt := range []struct {
		body, want string
		status     int
	}{
		{"ok", "", 202},
		{"unauth", `{"err":"authentication_failed","description":"x"}`, 400},
		{"transport", `{"error":"missing or invalid signature"}`, 401},
		{"malformed", `{"err":"invalid_request","description":"x"}`, 400},
		{"badevent", `{"err":"invalid_request","description":"x"}`, 400},
		{"down", `{"error":"temporarily unavailable"}`, 503},
	} {
		t.Run(tt.body, func(t *testing.T) {
			h, _ := newHandler(t)
			h.Sources["ssf"] = answering{}
			req := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/ssf", PathParameters: map[string]string{"source": "ssf"}, Body: tt.body}
			req.RequestContext.HTTP.Method = "POST"
			resp, err := h.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || (tt.want != "" && resp.Body != tt.want) || resp.Headers["Content-Type"] != "application/json" {
				t.Fatalf("%d %s %v", resp.StatusCode, resp.Body, resp.Headers)
			}
		})
	}
}
