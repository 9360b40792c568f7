package awsadapter_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// headerRecorder keeps the headers of every PUT an S3 client sends.
type headerRecorder struct {
	mu   sync.Mutex
	puts []http.Header
	next awssdk.HTTPClient
}

func (h *headerRecorder) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut {
		h.mu.Lock()
		h.puts = append(h.puts, r.Header.Clone())
		h.mu.Unlock()
	}
	return h.next.Do(r)
}

// bodyBucket creates a bucket named after the test, with SSE-S3 as its
// default encryption as the template's bucket has, and returns its name,
// the SDK's S3 client as an independent reader and writer, and our
// ObjectStore, whose PUT headers rec records.
func bodyBucket(t *testing.T, srv *moto.Server) (string, *s3.Client, *headerRecorder, *paws.ObjectStore) {
	t.Helper()
	rec := &headerRecorder{next: awshttp.NewBuildableClient()}
	client := s3.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	cfg := srv.AWSConfig(ctxFor(t))
	cfg.HTTPClient = rec
	store, err := paws.NewObjectStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bucket := "bodies-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if _, err := client.CreateBucket(ctxFor(t), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	_, err = client.PutBucketEncryption(ctxFor(t), &s3.PutBucketEncryptionInput{
		Bucket: &bucket,
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
		}}},
	})
	if err != nil {
		t.Fatalf("bucket encryption: %v", err)
	}
	return bucket, client, rec, store
}

func bodyKey(target string, body []byte) string {
	sum := sha256.Sum256(body)
	return target + "/" + hex.EncodeToString(sum[:])
}

func TestBodiesRoundTrip(t *testing.T) {
	srv := moto.Start(t)
	bucket, client, rec, store := bodyBucket(t, srv)
	b := paws.NewBodies(store, bucket)
	body := []byte(`{"target":"salesforce","event":{"id":"evt-1","data":"` + strings.Repeat("x", 300<<10) + `"}}`)
	key := bodyKey("salesforce", body)
	for range 2 { // a CIAM's resend stores the same object again
		if err := b.Put(ctxFor(t), key, body); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Get(ctxFor(t), key)
	if err != nil || string(got) != string(body) {
		t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), err, len(body))
	}

	obj, err := client.GetObject(ctxFor(t), &s3.GetObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	obj.Body.Close()
	sum := sha256.Sum256(body)
	if want := base64.StdEncoding.EncodeToString(sum[:]); awssdk.ToString(obj.ChecksumSHA256) != want {
		t.Errorf("object checksum %q, want the body's SHA-256 %q", awssdk.ToString(obj.ChecksumSHA256), want)
	}
	if obj.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
		t.Errorf("object encryption %q, want the bucket default AES256", obj.ServerSideEncryption)
	}
	if len(rec.puts) != 2 {
		t.Fatalf("%d PUTs recorded, want 2", len(rec.puts))
	}
	for _, h := range rec.puts {
		for name := range h {
			if strings.HasPrefix(strings.ToLower(name), "x-amz-server-side-encryption") {
				t.Errorf("PutObject sent %s without a KMS key configured", name)
			}
		}
		// S3 refuses a body whose SHA-256 is not this (moto stores it
		// without checking, so the header itself is what is tested here).
		if got, want := h.Get("X-Amz-Checksum-Sha256"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("PutObject sent x-amz-checksum-sha256 %q, want the body's %q", got, want)
		}
	}
}

func TestBodiesKMSKeyOnlyWhenConfigured(t *testing.T) {
	srv := moto.Start(t)
	bucket, _, rec, store := bodyBucket(t, srv)
	b := paws.NewBodies(store, bucket, paws.WithKMSKey("alias/profilesync-bodies"))
	body := []byte(`{"event":{"id":"evt-kms"}}`)
	// moto may or may not know the alias; only the request matters here.
	_ = b.Put(ctxFor(t), bodyKey("webhook", body), body)
	if len(rec.puts) == 0 {
		t.Fatal("no PUT sent")
	}
	h := rec.puts[0]
	if h.Get("X-Amz-Server-Side-Encryption") != "aws:kms" || h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "alias/profilesync-bodies" {
		t.Errorf("SSE headers %q, %q; want aws:kms and the configured key",
			h.Get("X-Amz-Server-Side-Encryption"), h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"))
	}
}

// TestBodiesMissingOrMismatched: what delivery.StoredBodies promises —
// ErrNotStored when the body the key names is not there (so the pointer is
// dead-lettered), an ordinary error when S3 itself fails (so it is retried).
func TestBodiesMissingOrMismatched(t *testing.T) {
	srv := moto.Start(t)
	bucket, client, _, store := bodyBucket(t, srv)
	b := paws.NewBodies(store, bucket)
	ctx := ctxFor(t)

	if _, err := b.Get(ctx, bodyKey("salesforce", []byte("never stored"))); !errors.Is(err, delivery.ErrNotStored) {
		t.Errorf("missing object: %v, want ErrNotStored", err)
	}

	// An object whose content is not what its key's digest says.
	key := bodyKey("salesforce", []byte("the envelope"))
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("another envelope")}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Get(ctx, key)
	if !errors.Is(err, delivery.ErrNotStored) || !strings.Contains(err.Error(), "digest") {
		t.Errorf("mismatched object: %v, want ErrNotStored naming the digest", err)
	}

	// Put refuses a key that is not the body's digest, and stores nothing.
	wrong := bodyKey("salesforce", []byte("something else"))
	if err := b.Put(ctx, wrong, []byte("the envelope")); err == nil {
		t.Error("Put under another body's digest accepted")
	}
	if _, err := b.Get(ctx, wrong); !errors.Is(err, delivery.ErrNotStored) {
		t.Errorf("after a refused Put: %v, want ErrNotStored", err)
	}

	// S3 failing (here: no such bucket) is not "not stored".
	gone := paws.NewBodies(store, bucket+"-gone")
	if _, err := gone.Get(ctx, bodyKey("salesforce", []byte("x"))); err == nil || errors.Is(err, delivery.ErrNotStored) {
		t.Errorf("no bucket: %v, want an error that is not ErrNotStored", err)
	}
}

func TestBodiesRefuseForeignKeys(t *testing.T) {
	srv := moto.Start(t)
	bucket, _, rec, store := bodyBucket(t, srv)
	b := paws.NewBodies(store, bucket)
	digest := strings.TrimPrefix(bodyKey("", []byte("x")), "/")
	for _, key := range []string{"", digest, "/" + digest, "../" + digest, "a/b/" + digest, "salesforce/" + strings.ToUpper(digest), "salesforce/abc"} {
		if err := b.Put(ctxFor(t), key, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", key)
		}
		if _, err := b.Get(ctxFor(t), key); err == nil {
			t.Errorf("Get(%q) accepted", key)
		}
	}
	if len(rec.puts) != 0 {
		t.Errorf("%d PUTs sent for refused keys", len(rec.puts))
	}
}
