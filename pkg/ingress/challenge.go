package ingress

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/source"
)

// challenge answers GET /webhooks/{source}: a platform proving the URL
// before it sends events (Okta's verification request). Only a source whose
// Parser implements source.Challenger answers; for the others GET stays
// 405. Nothing is enqueued.
func (h *Handler) challenge(ctx context.Context, req events.APIGatewayV2HTTPRequest, log *slog.Logger) events.APIGatewayV2HTTPResponse {
	name := req.PathParameters["source"]
	parser, ok := h.Sources[name]
	if !ok {
		return reply(http.StatusNotFound, "unknown source")
	}
	c, ok := parser.(source.Challenger)
	if !ok {
		return reply(http.StatusMethodNotAllowed, "method not allowed")
	}
	log = log.With("source", name)
	body, err := c.Challenge(ctx, source.Request{Header: header(req.Headers), Query: query(req), Now: h.now()})
	switch {
	case errors.Is(err, source.ErrUnauthenticated):
		log.Warn("challenge rejected", "status", 401, "reason", err.Error())
		return reply(http.StatusUnauthorized, "missing or invalid signature")
	case err != nil:
		log.Info("challenge rejected", "status", 400, "reason", err.Error())
		return reply(http.StatusBadRequest, "malformed challenge")
	}
	log.Info("challenge answered")
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}
