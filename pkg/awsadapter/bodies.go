package awsadapter

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// S3API is the two object calls Bodies makes (ObjectStore on AWS).
type S3API interface {
	// PutObject stores body with S3 verifying checksumSHA256 (base64) and,
	// when kmsKey is not empty, encrypting with that KMS key.
	PutObject(ctx context.Context, bucket, key string, body []byte, checksumSHA256, kmsKey string) error
	// GetObject reads at most limit bytes; a missing object is ErrNoSuchKey.
	GetObject(ctx context.Context, bucket, key string, limit int64) ([]byte, error)
}

// MaxStoredBody bounds what Get reads: an envelope stored aside came in a
// webhook, and API Gateway takes at most 10 MB.
const MaxStoredBody = 16 << 20

// bodyKeyRE is the key the ingress makes: <target>/<sha256 hex of the
// body>. The target is the object's prefix, so a sync function's policy
// can name its own target's objects only.
var bodyKeyRE = lazyregexp.New(`^[A-Za-z0-9_-]+/([0-9a-f]{64})$`)

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
	if err := b.client.PutObject(ctx, b.bucket, key, body, base64.StdEncoding.EncodeToString(sum), b.kmsKey); err != nil {
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
	body, err := b.client.GetObject(ctx, b.bucket, key, MaxStoredBody)
	if errors.Is(err, ErrNoSuchKey) {
		return nil, fmt.Errorf("read body %s: %w", key, delivery.ErrNotStored)
	}
	if err != nil {
		return nil, fmt.Errorf("read body %s from s3: %w", key, err)
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
