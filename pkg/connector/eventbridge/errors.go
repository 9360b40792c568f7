package eventbridge

import (
	"context"
	"errors"
	"github.com/profilesync/profilesync/pkg/redact"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxMessage bounds the AWS message kept in an error.
const maxMessage = 300

// Error codes, per PutEventsResultEntry and the EventBridge common errors.
// Per entry, AWS documents InternalFailure and ThrottlingException as the
// retryable ones; InternalException is the whole-call 500.
var (
	throttleCodes = map[string]bool{
		"ThrottlingException": true, "TooManyRequestsException": true, "RequestLimitExceeded": true,
	}
	transientCodes = map[string]bool{
		"InternalFailure": true, "InternalException": true, "ServiceUnavailable": true,
		"ServiceUnavailableException": true, "RequestTimeout": true, "RequestTimeoutException": true,
	}
	// authCodes are refused or expired credentials: fetching fresh ones
	// (a rotated role session) can help, so they are Auth, not Permanent.
	authCodes = map[string]bool{
		"UnrecognizedClientException": true, "InvalidSignatureException": true, "ExpiredTokenException": true,
		"ExpiredToken": true, "InvalidClientTokenId": true, "IncompleteSignature": true,
		"MissingAuthenticationToken": true, "SignatureDoesNotMatch": true,
	}
)

// classifyEntry classifies one failed entry of a PutEvents answer.
// Everything AWS does not call retryable (MalformedDetail, InvalidArgument,
// AccessDeniedException, NotAuthorizedForSourceException, …) is Permanent.
func classifyEntry(code, msg string, sent []string) *fault.Error {
	e := fault.New(fault.Permanent, 0, code, redact.Message(msg, sent, maxMessage))
	switch {
	case code == "":
		e.Class, e.Message = fault.Transient, "PutEvents reported a failed entry without an error code"
	case throttleCodes[code]:
		e.Class = fault.Throttled
	case transientCodes[code]:
		e.Class = fault.Transient
	}
	return e
}

// classifyCall classifies a PutEvents call that failed as a whole, after
// the SDK's own retries (3 attempts for throttles, 5xx and network errors).
func classifyCall(err error, sent []string) *fault.Error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fault.Wrap(fault.Transient, err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		if status != 0 {
			return &fault.Error{Class: fault.HTTPClass(status), Status: status, Err: err}
		}
		// A network error, or no credentials to sign with: the SDK text
		// names the endpoint and the operation, nothing we sent.
		return fault.Wrap(fault.Transient, err)
	}
	code := ae.ErrorCode()
	e := fault.New(fault.Permanent, status, code, redact.Message(ae.ErrorMessage(), sent, maxMessage))
	switch {
	case throttleCodes[code]:
		e.Class = fault.Throttled
	case transientCodes[code]:
		e.Class = fault.Transient
	case authCodes[code]:
		e.Class = fault.Auth
	case status != 0:
		// ResourceNotFoundException (no such bus), AccessDeniedException,
		// ValidationException are 4xx and stay Permanent; an unknown 5xx
		// or 429 retries.
		e.Class = fault.HTTPClass(status)
	}
	return e
}
