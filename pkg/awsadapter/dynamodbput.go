package awsadapter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SignedPutItem makes DynamoDB's PutItem call (JSON 1.0 protocol), signed
// with the SDK's Signature Version 4 signer: the ingress's one DynamoDB
// call, the erasure ledger's Open. It is not the SDK's DynamoDB client for
// the reason ObjectStore is not S3's: that client's code would add about
// 0.4 MB to the ingress and the Cognito trigger (measured) for one call.
// It takes attribute values of type S, N, BOOL and NULL, and retries
// throttling and 5xx answers as the SDK's standard retryer does (three
// attempts, capped exponential backoff).
type SignedPutItem struct {
	cfg      awssdk.Config
	endpoint string
	signer   *v4.Signer
	now      func() time.Time
	pause    func(ctx context.Context, attempt int) error
}

// signedPutAttempts is the SDK's standard retryer's attempts.
const signedPutAttempts = 3

// NewSignedPutItem returns the caller of cfg's region and credentials. Its
// endpoint is AWS_ENDPOINT_URL_DYNAMODB, else cfg.BaseEndpoint
// (AWS_ENDPOINT_URL through ConfigFromEnv), else AWS's regional one, with
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS honoured.
func NewSignedPutItem(cfg awssdk.Config) (*SignedPutItem, error) {
	u, err := serviceEndpoint(cfg, "DynamoDB", "dynamodb")
	if err != nil {
		return nil, err
	}
	return &SignedPutItem{cfg: cfg, endpoint: strings.TrimRight(u.String(), "/") + "/", signer: v4.NewSigner(), now: time.Now,
		pause: func(ctx context.Context, attempt int) error { return backoffPause(ctx, attempt+1) }}, nil
}

// putItemWire is PutItem's request body.
type putItemWire struct {
	TableName                 string                    `json:"TableName"`
	Item                      map[string]map[string]any `json:"Item"`
	ConditionExpression       string                    `json:"ConditionExpression,omitempty"`
	ExpressionAttributeNames  map[string]string         `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues map[string]map[string]any `json:"ExpressionAttributeValues,omitempty"`
}

// PutItem sends in (the SDK's options are not read). A failed condition
// is *types.ConditionalCheckFailedException, as from the SDK's client.
func (p *SignedPutItem) PutItem(ctx context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	w := putItemWire{TableName: awssdk.ToString(in.TableName), ConditionExpression: awssdk.ToString(in.ConditionExpression),
		ExpressionAttributeNames: in.ExpressionAttributeNames}
	var err error
	if w.Item, err = wireValues(in.Item); err != nil {
		return nil, err
	}
	if w.ExpressionAttributeValues, err = wireValues(in.ExpressionAttributeValues); err != nil {
		return nil, err
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("dynamodb put item: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err := p.send(ctx, body)
		var re *retryableError
		if !errors.As(err, &re) || attempt+1 == signedPutAttempts {
			if err != nil {
				return nil, err
			}
			return &dynamodb.PutItemOutput{}, nil
		}
		if err := p.pause(ctx, attempt); err != nil {
			return nil, fmt.Errorf("dynamodb put item: %w", err)
		}
	}
}

// retryableError is an answer a later attempt may not get: throttling,
// 5xx, a transport failure.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func (p *SignedPutItem) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dynamodb put item: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	req.ContentLength = int64(len(body))
	creds, err := p.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("dynamodb credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := p.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "dynamodb", p.cfg.Region, p.now()); err != nil {
		return fmt.Errorf("dynamodb sign: %w", err)
	}
	hc := p.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &retryableError{fmt.Errorf("dynamodb put item: %w", RedactedURLError(err))}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return dynamoError(resp.StatusCode, b)
}

// dynamoError reads a JSON 1.0 error answer:
// {"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"…"}.
func dynamoError(status int, body []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code := e.Type[strings.LastIndexByte(e.Type, '#')+1:]
	msg := e.Message
	if msg == "" {
		msg = e.Upper
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	err := fmt.Errorf("dynamodb put item: %d %s: %s", status, code, msg)
	switch code {
	case "ConditionalCheckFailedException":
		return &types.ConditionalCheckFailedException{Message: awssdk.String(msg)}
	case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException":
		return &retryableError{err}
	}
	if status >= 500 {
		return &retryableError{err}
	}
	return err
}

// wireValues encodes attribute values as the JSON protocol does.
func wireValues(in map[string]types.AttributeValue) (map[string]map[string]any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]map[string]any, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = map[string]any{"S": v.Value}
		case *types.AttributeValueMemberN:
			out[k] = map[string]any{"N": v.Value}
		case *types.AttributeValueMemberBOOL:
			out[k] = map[string]any{"BOOL": v.Value}
		case *types.AttributeValueMemberNULL:
			out[k] = map[string]any{"NULL": v.Value}
		default:
			return nil, fmt.Errorf("dynamodb put item: attribute %s: type %T not supported here", k, v)
		}
	}
	return out, nil
}
