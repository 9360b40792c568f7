package connectorkit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"io"
	"net/http"
	"net/url"

	"github.com/profilesync/profilesync/pkg/fault"
)

// DefaultMaxBody is the response size most connectors read at most.
const DefaultMaxBody = 1 << 20

// Call sends one request and reads at most maxBody bytes of the answer (the
// rest is dropped: an error body longer than that is not worth reading). It
// sends header as given, so the caller owns every header, auth included.
//
// Any status comes back for the caller to classify: only the caller knows
// its API's error bodies. Errors are fault.Errors: a request that cannot be
// built is Permanent, a transport or read failure Transient (an egress
// refusal Permanent). Neither quotes
// the URL, which holds the record key and may hold credentials.
func Call(ctx context.Context, hc *http.Client, method, u string, header http.Header, body []byte, maxBody int64) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, fault.Wrap(fault.Permanent, redact.URLError(err))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v) // canonicalizes k, as Header.Set would
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return 0, nil, nil, fe // already classified: an egress refusal, which quotes no URL
		}
		return 0, nil, nil, fault.Wrap(fault.Transient, redact.URLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, fault.Wrap(fault.Transient, err)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// JSONHeader is the header of a JSON API call: Accept, and Content-Type
// when there is a body. The caller adds its auth.
func JSONHeader(body []byte) http.Header {
	h := http.Header{"Accept": {"application/json"}}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return h
}

// EncodeJSON marshals a request body; a nil v is no body. A value that
// cannot be encoded never will be, so the error is Permanent, and it
// names what (e.g. "fields") without quoting the value.
func EncodeJSON(v any, what string) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("encode %s: %w", what, err))
	}
	return b, nil
}

// BasicAuth is the Authorization value for user and password, as
// http.Request.SetBasicAuth writes it.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// PostClientCredentials asks tokenURL for an access token with the OAuth
// 2.0 client credentials grant (RFC 6749 section 4.4), the credentials in
// the form body. The answer comes back unread, for the connector to parse
// and classify with its own shapes; errors are as Call's, their text
// prefixed with "<name> token request".
func PostClientCredentials(ctx context.Context, hc *http.Client, name, tokenURL, clientID, clientSecret string, maxBody int64) (int, http.Header, []byte, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {clientSecret},
	}
	h := http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Accept":       {"application/json"},
	}
	status, rh, b, err := Call(ctx, hc, http.MethodPost, tokenURL, h, []byte(form.Encode()), maxBody)
	if err != nil {
		fe := fault.As(err)
		return 0, nil, nil, fault.Wrap(fe.Class, fmt.Errorf("%s token request: %w", name, fe.Err))
	}
	return status, rh, b, nil
}
