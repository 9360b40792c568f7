package ingress

import (
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/source"
)

// rejected answers a webhook the parser (or routing) refused: the
// parser's own answer when it is a source.Answerer that shapes this
// error, else reply(status, msg).
func rejected(parser source.Parser, err error, status int, msg string) events.APIGatewayV2HTTPResponse {
	if a, ok := parser.(source.Answerer); ok {
		if st, body, ok := a.Rejection(err); ok {
			return events.APIGatewayV2HTTPResponse{StatusCode: st,
				Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
		}
	}
	return reply(status, msg)
}

// acceptedStatus is 200, or what an Answerer asks for.
func acceptedStatus(parser source.Parser) int {
	if a, ok := parser.(source.Answerer); ok {
		if st := a.AcceptedStatus(); st >= 200 && st < 300 {
			return st
		}
	}
	return http.StatusOK
}
