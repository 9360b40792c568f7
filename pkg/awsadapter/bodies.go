package awsadapter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// S3API is the part of *s3.Client that Bodies uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// MaxStoredBody bounds what Get reads: an envelope stored aside came in a
// webhook, and API Gateway takes at most 10 MB.
const MaxStoredBody = 16 << 20

// bodyKeyRE is the key the ingress makes: <target>/<sha256 hex of the
// body>. The target is the object's prefix, so a sync function's policy
// can name its own target's objects only.
var bodyKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+/([0-9a-f]{64})$`)

// Bodies keeps the envelopes too large for an SQS message as objects of one
// S3 bucket, under the key the ingress gives (<target>/<digest>): Put for
// the ingress (ingress.BodyStore), Get for the sync functions
// (delivery.StoredBodies). pkg/local.Bodies is its twin on disk.
//
// Encryption is the bucket's default (the template's bucket: SSE-S3)
// unless WithKMSKey names a key. Every object carries its SHA-256 as an S3
// checksum, which S3 verifies on upload; Get verifies the body it reads
// against the digest in its key.
type Bodies struct {
	client S3API
	bucket string
	kmsKey string
}

var (
	_ ingress.BodyStore     = (*Bodies)(nil)
	_ delivery.StoredBodies = (*Bodies)(nil)
)

// BodiesOption configures NewBodies.
type BodiesOption func(*Bodies)

// WithKMSKey has Put ask for SSE-KMS with key (an id, ARN or alias) rather
// than rely on the bucket's default encryption. The writer then needs
// kms:GenerateDataKey on it, and readers kms:Decrypt.
func WithKMSKey(key string) BodiesOption { return func(b *Bodies) { b.kmsKey = key } }

// NewBodies returns Bodies over bucket (the BODY_BUCKET environment
// variable).
func NewBodies(client S3API, bucket string, opts ...BodiesOption) *Bodies {
	b := &Bodies{client: client, bucket: bucket}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Put stores body under key. The key's digest must be body's SHA-256: it
// is sent as the object's checksum, so S3 refuses a body that changed on
// the way, and a resend of the same envelope overwrites the same object.
func (b *Bodies) Put(ctx context.Context, key string, body []byte) error {
	digest, err := keyDigest(key)
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != digest {
		return fmt.Errorf("store body %s: the key's digest is not the body's SHA-256", key)
	}
	sum, _ := hex.DecodeString(digest)
	in := &s3.PutObjectInput{
		Bucket:            awssdk.String(b.bucket),
		Key:               awssdk.String(key),
		Body:              bytes.NewReader(body),
		ContentLength:     awssdk.Int64(int64(len(body))),
		ContentType:       awssdk.String("application/json"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    awssdk.String(base64.StdEncoding.EncodeToString(sum)),
	}
	if b.kmsKey != "" {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, awssdk.String(b.kmsKey)
	}
	if _, err := b.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("store body %s in s3: %w", key, err)
	}
	return nil
}

// Get reads the body stored under key. No object under key, or one whose
// content is not what its key's digest says, wraps delivery.ErrNotStored:
// retrying will not bring the right body (the pointer goes to the DLQ for
// a person). Anything else — throttling, a network error, a refused
// permission — is an ordinary error, which the sync function retries.
func (b *Bodies) Get(ctx context.Context, key string) ([]byte, error) {
	digest, err := keyDigest(key)
	if err != nil {
		return nil, err
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: awssdk.String(b.bucket), Key: awssdk.String(key), ChecksumMode: types.ChecksumModeEnabled,
	})
	if isMissing(err) {
		return nil, fmt.Errorf("read body %s: %w", key, delivery.ErrNotStored)
	}
	if err != nil {
		return nil, fmt.Errorf("read body %s from s3: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxStoredBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body %s from s3: %w", key, err)
	}
	if len(body) > MaxStoredBody {
		return nil, fmt.Errorf("read body %s: over %d bytes: %w", key, MaxStoredBody, delivery.ErrNotStored)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != digest {
		return nil, fmt.Errorf("read body %s: content does not match the key's digest: %w", key, delivery.ErrNotStored)
	}
	return body, nil
}

func keyDigest(key string) (string, error) {
	m := bodyKeyRE.FindStringSubmatch(key)
	if m == nil {
		return "", fmt.Errorf("body key %q: want <target>/<sha256 hex>", key)
	}
	return m[1], nil
}

// isMissing reports S3's "no such object". A role without s3:ListBucket
// gets 403 AccessDenied for a missing key instead, which stays an ordinary
// error: the template grants each sync function ListBucket on its prefix
// so that an expired body reads as missing.
func isMissing(err error) bool {
	var noKey *types.NoSuchKey
	var notFound *types.NotFound
	if errors.As(err, &noKey) || errors.As(err, &notFound) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchKey"
}
