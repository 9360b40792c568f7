package cognito

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// The JSON 1.1 protocol of the Cognito Identity Provider API.
const (
	signingName  = "cognito-idp"
	targetPrefix = "AWSCognitoIdentityProviderService."
	contentType  = "application/x-amz-json-1.1"
	// endpointEnv is the SDK's per-service endpoint variable for the
	// service id "Cognito Identity Provider".
	endpointEnv = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
)

// api makes signed JSON 1.1 calls to one region's endpoint.
type api struct {
	endpoint string
	region   string
	creds    awssdk.CredentialsProvider
	hc       *http.Client
	signer   *v4.Signer
	now      func() time.Time
}

// endpointOf is cfg.Endpoint, else AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
// else AWS_ENDPOINT_URL, else the regional endpoint (both variables are
// ignored under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, as the SDK does).
func endpointOf(cfg Config) string {
	if cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	if !strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		for _, v := range []string{endpointEnv, "AWS_ENDPOINT_URL"} {
			if ep := os.Getenv(v); ep != "" {
				return strings.TrimRight(ep, "/")
			}
		}
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://cognito-idp." + cfg.Region + "." + suffix
}

// call sends op with in as its JSON body and decodes the answer into out
// (nil: ignored). Errors are fault.Errors; UserNotFoundException also
// wraps source.ErrNotFound.
func (a *api) call(ctx context.Context, op string, in, out any) error {
	what := "cognito " + op
	body, err := json.Marshal(in)
	if err != nil {
		return fault.New(fault.Permanent, 0, "", what+": input not encodable as JSON")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fault.New(fault.Permanent, 0, "", what+": bad endpoint")
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.ContentLength = int64(len(body))
	creds, err := a.creds.Retrieve(ctx)
	if err != nil {
		return fault.Wrap(fault.Auth, fmt.Errorf("%s: credentials: %w", what, err))
	}
	sum := sha256.Sum256(body)
	if err := a.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, a.region, a.now()); err != nil {
		return fault.Wrap(fault.Permanent, fmt.Errorf("%s: sign: %w", what, err))
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return sourcekit.TransportError(what, err)
	}
	b, err := sourcekit.ReadBody(resp)
	if err != nil {
		return sourcekit.TransportError(what, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %w", what, apiError(resp.StatusCode, resp.Header, b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fault.New(fault.Permanent, resp.StatusCode, "", what+": unreadable answer")
	}
	return nil
}

// apiError classifies a JSON 1.1 error answer:
// {"__type":"[namespace#]UserNotFoundException","message":"…"}.
func apiError(status int, h http.Header, body []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	code := e.Type
	if code == "" {
		code = h.Get("X-Amzn-ErrorType")
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	if len(e.Message) > 200 {
		e.Message = e.Message[:200]
	}
	fe := fault.FromHTTP(status, h, code, e.Message)
	switch code {
	case "UserNotFoundException":
		fe.Class, fe.Err = fault.Permanent, source.ErrNotFound
	case "TooManyRequestsException", "LimitExceededException", "ThrottlingException":
		fe.Class = fault.Throttled
	case "NotAuthorizedException", "AccessDeniedException", "UnrecognizedClientException",
		"InvalidSignatureException", "ExpiredTokenException", "MissingAuthenticationToken":
		fe.Class = fault.Auth
	case "InternalErrorException", "ServiceUnavailable":
		fe.Class = fault.Transient
	case "ResourceNotFoundException", "InvalidParameterException", "UserPoolAddOnNotEnabledException":
		fe.Class = fault.Permanent
	}
	return fe
}
