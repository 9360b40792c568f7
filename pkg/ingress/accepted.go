package ingress

import (
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/profile"
)

// acceptedReply is the 200 (or the Answerer's status) for acc. The body
// is byte for byte json.Marshal(acc), written without reflection: a log
// batch routes an entry per event, and encoding/json's walk over them
// cost the ingress as much as encoding the events' queue messages.
func acceptedReply(status int, acc Accepted) events.APIGatewayV2HTTPResponse {
	return jsonBody(status, acc.appendJSON(make([]byte, 0, 64+64*len(acc.Routed))))
}

func (acc Accepted) appendJSON(b []byte) []byte {
	b = append(b, `{"enqueued":`...)
	b = strconv.AppendInt(b, int64(acc.Enqueued), 10)
	b = append(b, `,"events":`...)
	b = strconv.AppendInt(b, int64(acc.Events), 10)
	if len(acc.Routed) > 0 { // omitempty
		b = append(b, `,"routed":[`...)
		for i, r := range acc.Routed {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"event_id":`...)
			b = profile.AppendJSONString(b, r.EventID)
			b = append(b, `,"targets":`...)
			b = appendStrings(b, r.Targets)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendStrings writes a []string as encoding/json does: null when nil.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = profile.AppendJSONString(b, s)
	}
	return append(b, ']')
}
