package awsadapter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/profilesync/profilesync/pkg/fault"
)

// snsVersion is the SNS Query API version every Publish names.
const snsVersion = "2010-03-31"

// SNSPublisher makes SNS's Publish call through the Query API (a signed
// form POST, an XML answer), for the same reason ObjectStore is not the
// SDK's S3 client: the SNS client would keep all of SNS's operations in
// every Lambda binary that links it, for one call.
type SNSPublisher struct {
	cfg      awssdk.Config
	endpoint *url.URL
	signer   *v4.Signer
	now      func() time.Time
}

// ErrTopicNotFound is SNS's answer for a topic that does not exist (404
// NotFound). It is wrapped in a permanent fault.Error.
var ErrTopicNotFound = errors.New("sns: topic not found")

// NewSNSPublisher returns the publisher of cfg's region and credentials.
// Its endpoint is AWS_ENDPOINT_URL_SNS, else cfg.BaseEndpoint, else AWS's
// regional one, with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS honoured.
func NewSNSPublisher(cfg awssdk.Config) (*SNSPublisher, error) {
	u, err := serviceEndpoint(cfg, "SNS", "sns")
	if err != nil {
		return nil, err
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return &SNSPublisher{cfg: cfg, endpoint: u, signer: v4.NewSigner(), now: time.Now}, nil
}

// Publish sends message to the topic topicARN with subject (the e-mail
// subject of e-mail subscriptions: ASCII, at most 100 characters, no line
// breaks; empty for none) and returns SNS's message id. Errors are
// fault.Errors classified from the HTTP status and SNS's error code; they
// carry SNS's code and message, never the message sent.
func (p *SNSPublisher) Publish(ctx context.Context, topicARN, subject, message string) (string, error) {
	form := url.Values{"Action": {"Publish"}, "Version": {snsVersion}, "TopicArn": {topicARN}, "Message": {message}}
	if subject != "" {
		form.Set("Subject", subject)
	}
	resp, err := p.post(ctx, []byte(form.Encode()))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fault.Wrap(fault.Transient, fmt.Errorf("sns publish: read answer: %w", err))
	}
	if resp.StatusCode/100 != 2 {
		return "", snsError(resp, b)
	}
	var out struct {
		MessageID string `xml:"PublishResult>MessageId"`
	}
	if err := xml.Unmarshal(b, &out); err != nil || out.MessageID == "" {
		return "", fault.New(fault.Permanent, resp.StatusCode, "", "sns publish: answer without a MessageId")
	}
	return out.MessageID, nil
}

// post signs and sends one Query API call.
func (p *SNSPublisher) post(ctx context.Context, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("sns publish: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	creds, err := p.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fault.Wrap(fault.Auth, fmt.Errorf("sns credentials: %w", err))
	}
	if err := p.signer.SignHTTP(ctx, creds, req, payload, "sns", p.cfg.Region, p.now()); err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("sns sign: %w", err))
	}
	hc := p.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		err = fmt.Errorf("sns publish: %w", RedactedURLError(err))
		var fe *fault.Error
		if errors.As(err, &fe) {
			return nil, err // already classified (an egress refusal)
		}
		return nil, fault.Wrap(fault.Transient, err)
	}
	return resp, nil
}

// snsError reads SNS's XML error into a classified error. SNS answers
// throttling with 400 or 429 and a Throttling code; both are throttles.
func snsError(resp *http.Response, body []byte) error {
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	_ = xml.Unmarshal(body, &e)
	fe := fault.FromHTTP(resp.StatusCode, resp.Header, e.Code, e.Message)
	switch e.Code {
	case "Throttling", "Throttled", "ThrottledException", "KMSThrottling":
		fe.Class = fault.Throttled
	case "NotFound", "NotFoundException":
		fe.Err = ErrTopicNotFound
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken":
		fe.Class = fault.Auth
	}
	return fmt.Errorf("sns publish: %w", fe)
}
