package gigya

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// The error codes the adapter treats specially. SAP CDC answers HTTP 200
// with errorCode in the body (unless httpStatusCodes=true is asked for).
const (
	CodeOK              = 0
	CodeUnauthorizedUID = 403005 // "Unauthorized user": getAccountInfo of an unknown UID
	CodeRateLimitIP     = 403047 // the caller's rate limit
	CodeRateLimit       = 403048 // the site's rate limit
	CodeInvalidCursor   = 400006 // "Invalid parameter value", e.g. an expired cursorId
)

// envelope is what every accounts.* answer carries.
type envelope struct {
	CallID       string `json:"callId"`
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	StatusCode   int    `json:"statusCode"`
}

// call form-posts params with the credentials to method (e.g.
// accounts.getAccountInfo) and returns the body of a successful answer,
// or a fault.Error classified from the errorCode. The parameters (a UID,
// a query) never appear in the error.
func (f *Fetcher) call(ctx context.Context, method string, params url.Values) ([]byte, *envelope, error) {
	form := url.Values{"apiKey": {f.cfg.APIKey}, "secret": {f.cfg.Secret}, "format": {"json"}}
	if f.cfg.UserKey != "" {
		form.Set("userKey", f.cfg.UserKey)
	}
	for k, v := range params {
		form[k] = v
	}
	what := "gigya " + method
	status, h, body, err := sourcekit.Send(ctx, f.hc, what, http.MethodPost, f.cfg.BaseURL+"/"+method,
		"application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return nil, nil, err
	}
	var env envelope
	jsonErr := json.Unmarshal(body, &env)
	if status != http.StatusOK {
		fe := fault.FromHTTP(status, h, "", what)
		if jsonErr == nil && env.ErrorCode != 0 {
			fe = classify(env, status)
		}
		return nil, nil, fe
	}
	if jsonErr != nil {
		return nil, nil, fault.New(fault.Transient, status, "", what+": response is not JSON")
	}
	if env.ErrorCode != CodeOK {
		return nil, &env, classify(env, status)
	}
	return body, &env, nil
}

// classify is the one table of Gigya error codes: the rate limits are
// throttled, 5xxxxx transient, other 403xxx (bad secret, key, permission)
// auth, the rest (400xxx validation…) permanent.
func classify(env envelope, status int) *fault.Error {
	code := env.ErrorCode
	e := &fault.Error{Status: status, Code: strconv.Itoa(code),
		Message: fmt.Sprintf("gigya errorCode %d: %s (callId %s)", code, env.ErrorMessage, env.CallID)}
	switch {
	case code == CodeRateLimit || code == CodeRateLimitIP:
		e.Class = fault.Throttled
	case code >= 500000 && code < 600000:
		e.Class = fault.Transient
	case code >= 403000 && code < 404000:
		e.Class = fault.Auth
	default:
		e.Class = fault.Permanent
	}
	return e
}
