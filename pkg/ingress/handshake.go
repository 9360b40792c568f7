package ingress

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/source"
)

// handshake answers a POST that proves the URL instead of carrying events
// (Microsoft Graph's validationToken), when parser is a source.Handshaker
// that recognises it. ok false: go on to Parse. Nothing is enqueued.
func (h *Handler) handshake(ctx context.Context, parser source.Parser, req events.APIGatewayV2HTTPRequest, log *slog.Logger) (events.APIGatewayV2HTTPResponse, bool) {
	hs, ok := parser.(source.Handshaker)
	if !ok {
		return events.APIGatewayV2HTTPResponse{}, false
	}
	body, ctype, ok, err := hs.Handshake(ctx, source.Request{Header: header(req.Headers), Query: query(req), Now: h.now()})
	switch {
	case !ok && err == nil:
		return events.APIGatewayV2HTTPResponse{}, false
	case errors.Is(err, source.ErrUnauthenticated):
		log.Warn("handshake rejected", "status", 401, "reason", err.Error())
		return reply(http.StatusUnauthorized, "missing or invalid signature"), true
	case err != nil:
		log.Info("handshake rejected", "status", 400, "reason", err.Error())
		return reply(http.StatusBadRequest, "malformed handshake"), true
	}
	log.Info("handshake answered")
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK,
		Headers: map[string]string{"Content-Type": ctype}, Body: string(body)}, true
}
