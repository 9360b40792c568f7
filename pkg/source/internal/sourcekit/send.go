package sourcekit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Send sends body with method to u, under contentType, with the headers h
// (Authorization and the like), and returns the answer's status, headers
// and body. As with Get, an answer that never came is classified by
// TransportError under what ("cidaas update user"); any status is the
// caller's to classify.
func Send(ctx context.Context, hc *http.Client, what, method, u, contentType string, body []byte, h http.Header) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fault.New(fault.Permanent, 0, "", what+": bad URL")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := Client(hc).Do(req)
	if err != nil {
		return 0, nil, nil, TransportError(what, err)
	}
	b, err := ReadBody(resp)
	if err != nil {
		return 0, nil, nil, TransportError(what, err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// SendJSON encodes v and sends it as application/json. A value JSON cannot
// encode (a channel, a NaN) is a permanent fault: no retry can fix it.
func SendJSON(ctx context.Context, hc *http.Client, what, method, u string, v any, h http.Header) (int, http.Header, []byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, nil, nil, fault.New(fault.Permanent, 0, "", what+": value not encodable as JSON")
	}
	return Send(ctx, hc, what, method, u, "application/json", body, h)
}

// Basic is the Authorization header of HTTP Basic credentials (RFC 7617),
// as http.Request.SetBasicAuth writes it.
func Basic(user, password string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}}
}
