// Package s3dest is the export Destination for S3: each file is streamed
// as a multipart upload holding one part in memory, and becomes visible
// only when CompleteMultipartUpload succeeds; a file smaller than one
// part is a single PutObject on Commit. The S3 calls are
// awsadapter.ObjectStore's signed REST requests, not the SDK's client
// (which would add megabytes to the Lambda binary).
//
// The role writing an export needs s3:PutObject and s3:AbortMultipartUpload
// on the prefix and s3:ListBucketMultipartUploads on the bucket (Create
// aborts a dead run's upload of the same key); with SSE-KMS also
// kms:GenerateDataKey and kms:Decrypt on the key, since S3 decrypts the
// data key to assemble a multipart object.
package s3dest

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/fault"
)

// API is the S3 calls the destination makes (*awsadapter.ObjectStore).
type API interface {
	PutObjectWith(ctx context.Context, bucket, key string, body []byte, opt awsadapter.ObjectOptions) error
	CreateMultipartUpload(ctx context.Context, bucket, key string, opt awsadapter.ObjectOptions) (string, error)
	UploadPart(ctx context.Context, bucket, key, uploadID string, part int, body []byte) (string, error)
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []awsadapter.CompletedPart) error
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]awsadapter.MultipartUpload, error)
}

var _ API = (*awsadapter.ObjectStore)(nil)

// MinPartSize is S3's smallest part but the last.
const MinPartSize = 5 << 20

// maxParts is S3's limit; with 5 MiB parts a file may reach 48.8 GiB.
const maxParts = 10_000

// Config says where files go and how they are stored.
type Config struct {
	Bucket string
	// Prefix is put before every name ("exports/nightly/"); a missing
	// trailing slash is added.
	Prefix string
	// KMSKeyID selects SSE-KMS with this key; SSES3 selects SSE-S3;
	// neither leaves the bucket's default encryption.
	KMSKeyID string
	SSES3    bool
	// PartSize is the bytes held in memory and sent per part; zero means
	// MinPartSize. Memory per open file is about one part.
	PartSize int
	// KeepStale leaves other unfinished uploads of the same key alone.
	// By default Create aborts them: they are what a run that died
	// mid-file left behind, and S3 bills their parts until a lifecycle
	// rule removes them.
	KeepStale bool
}

// S3 is the destination.
type S3 struct {
	api   API
	cfg   Config
	retry []time.Duration // waits before each retry of a transient failure
}

var _ export.Destination = (*S3)(nil)

// New checks cfg and returns the destination.
func New(api API, cfg Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3dest: bucket: missing")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = MinPartSize
	}
	if cfg.PartSize < MinPartSize {
		return nil, fmt.Errorf("s3dest: part size %d: below S3's minimum of %d", cfg.PartSize, MinPartSize)
	}
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	return &S3{api: api, cfg: cfg, retry: []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}}, nil
}

// Key is the object key of name.
func (d *S3) Key(name string) string { return d.cfg.Prefix + name }

// Create starts name. No request is made until the first part is full
// (or Commit), except to abort stale uploads of the same key.
func (d *S3) Create(ctx context.Context, name string) (export.Object, error) {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name {
		return nil, fmt.Errorf("s3dest: name %q: want a clean relative path", name)
	}
	key := d.Key(name)
	if !d.cfg.KeepStale {
		if err := d.abortStale(ctx, key); err != nil {
			return nil, err
		}
	}
	return &object{ctx: ctx, d: d, key: key}, nil
}

func (d *S3) abortStale(ctx context.Context, key string) error {
	ups, err := d.api.ListMultipartUploads(ctx, d.cfg.Bucket, key)
	if err != nil {
		return fmt.Errorf("s3dest: stale uploads: %w", err)
	}
	for _, u := range ups {
		if u.Key != key {
			continue // a longer key with this one as prefix
		}
		err := d.api.AbortMultipartUpload(ctx, d.cfg.Bucket, key, u.UploadID)
		if err != nil && !errors.Is(err, awsadapter.ErrNoSuchUpload) {
			return fmt.Errorf("s3dest: abort stale upload: %w", err)
		}
	}
	return nil
}

func (d *S3) options(key string) awsadapter.ObjectOptions {
	return awsadapter.ObjectOptions{ContentType: contentType(key), KMSKeyID: d.cfg.KMSKeyID, SSES3: d.cfg.SSES3}
}

// withRetry runs call, retrying transient and throttled failures after
// d.retry's waits; the calls it wraps are idempotent.
func (d *S3) withRetry(ctx context.Context, call func() error) error {
	err := call()
	for _, wait := range d.retry {
		if err == nil || !retryable(err) {
			return err
		}
		if fe := fault.As(err); fe != nil && fe.RetryAfter > wait {
			wait = fe.RetryAfter
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		err = call()
	}
	return err
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, awsadapter.ErrNoSuchUpload) {
		return false
	}
	c := fault.ClassOf(err)
	return c == fault.Transient || c == fault.Throttled
}

// contentType is the object's type by its extension; the encryption and
// compression layers come last, so they decide.
func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".gpg"):
		return "application/pgp-encrypted"
	case strings.HasSuffix(key, ".gz"):
		return "application/gzip"
	case strings.HasSuffix(key, ".csv"):
		return "text/csv; charset=utf-8"
	case strings.HasSuffix(key, ".ndjson"):
		return "application/x-ndjson"
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	case strings.HasSuffix(key, ".parquet"):
		return "application/vnd.apache.parquet"
	}
	return "application/octet-stream"
}
