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
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ObjectStore makes S3's PutObject and GetObject REST calls, signed with
// the SDK's Signature Version 4 signer. It is not the SDK's S3 client on
// purpose: creating that client stores it in an interface, and since expr
// and protobuf look methods up by name at run time the linker then keeps
// every one of S3's operations — 4.7 MB on each Lambda binary (measured)
// for the two calls Bodies makes.
type ObjectStore struct {
	cfg      awssdk.Config
	endpoint *url.URL // a configured endpoint (path-style), or nil for AWS (virtual-hosted)
	signer   *v4.Signer
	now      func() time.Time
}

var _ S3API = (*ObjectStore)(nil)

// ErrNoSuchKey is S3's answer for an object that is not there (404
// NoSuchKey).
var ErrNoSuchKey = errors.New("s3: no such key")

// NewObjectStore returns the store of cfg's region and credentials. Its
// endpoint is AWS_ENDPOINT_URL_S3, else cfg.BaseEndpoint (AWS_ENDPOINT_URL
// through ConfigFromEnv), else AWS's, with the SDK's precedence and
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS honoured.
func NewObjectStore(cfg awssdk.Config) (*ObjectStore, error) {
	raw, err := configuredEndpoint(cfg, "S3")
	if err != nil {
		return nil, err
	}
	o := &ObjectStore{cfg: cfg, signer: v4.NewSigner(), now: time.Now}
	if raw != "" {
		if o.endpoint, err = absoluteEndpoint("s3", raw); err != nil {
			return nil, err
		}
	}
	if cfg.Region == "" {
		return nil, ErrNoRegion
	}
	return o, nil
}

// PutObject stores body under bucket/key, with S3 checking it against
// checksumSHA256 (base64) and encrypting it with kmsKey when one is named.
func (o *ObjectStore) PutObject(ctx context.Context, bucket, key string, body []byte, checksumSHA256, kmsKey string) error {
	h := http.Header{"Content-Type": {"application/json"}, "X-Amz-Checksum-Sha256": {checksumSHA256},
		"X-Amz-Sdk-Checksum-Algorithm": {"SHA256"}}
	if kmsKey != "" {
		h.Set("X-Amz-Server-Side-Encryption", "aws:kms")
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", kmsKey)
	}
	resp, err := o.do(ctx, http.MethodPut, bucket, key, h, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return s3Error(resp)
	}
	return nil
}

// GetObject reads bucket/key, at most limit bytes (more is an error). A
// missing object is ErrNoSuchKey.
func (o *ObjectStore) GetObject(ctx context.Context, bucket, key string, limit int64) ([]byte, error) {
	resp, err := o.do(ctx, http.MethodGet, bucket, key, http.Header{}, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, s3Error(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("s3 get object: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("s3 get object: over %d bytes", limit)
	}
	return b, nil
}

// do signs and sends one request.
func (o *ObjectStore) do(ctx context.Context, method, bucket, key string, h http.Header, body []byte) (*http.Response, error) {
	return o.doQuery(ctx, method, bucket, key, nil, h, body)
}

// doQuery signs and sends one request with a query string (the multipart
// calls' ?uploads, ?partNumber=&uploadId=).
func (o *ObjectStore) doQuery(ctx context.Context, method, bucket, key string, query url.Values, h http.Header, body []byte) (*http.Response, error) {
	u := o.objectURL(bucket, key)
	u.RawQuery = strings.ReplaceAll(query.Encode(), "+", "%20")
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL.RawPath = u.RawPath
	for k, v := range h {
		req.Header[k] = v
	}
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds, err := o.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3 credentials: %w", err)
	}
	if err := o.signer.SignHTTP(ctx, creds, req, payload, "s3", o.cfg.Region, o.now()); err != nil {
		return nil, fmt.Errorf("s3 sign: %w", err)
	}
	hc := o.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", strings.ToLower(method), RedactedURLError(err))
	}
	return resp, nil
}

// objectURL is the object's URL: path-style on a configured endpoint
// (moto, a VPC endpoint URL), virtual-hosted on AWS.
func (o *ObjectStore) objectURL(bucket, key string) *url.URL {
	path := "/" + key
	rawPath := "/" + escapeKey(key)
	if o.endpoint != nil {
		u := *o.endpoint
		base := strings.TrimRight(u.Path, "/")
		u.Path = base + "/" + bucket + path
		u.RawPath = base + "/" + url.PathEscape(bucket) + rawPath
		return &u
	}
	return &url.URL{Scheme: "https", Host: bucket + ".s3." + o.cfg.Region + ".amazonaws.com", Path: path, RawPath: rawPath}
}

// escapeKey escapes each segment of an object key, keeping its slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// s3Error reads S3's XML error; 404 NoSuchKey is ErrNoSuchKey.
func s3Error(resp *http.Response) error {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = xml.Unmarshal(b, &e)
	if e.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && e.Code == "") {
		return ErrNoSuchKey
	}
	return fmt.Errorf("s3: %d %s: %s", resp.StatusCode, e.Code, e.Message)
}

// RedactedURLError drops the URL (which names the object) from a transport
// error.
func RedactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
