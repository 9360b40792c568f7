package s3dest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
)

func TestMain(m *testing.M) { moto.Main(m) }

// recorder keeps the method, query and headers of every request our
// ObjectStore sends.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	next awssdk.HTTPClient
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, &http.Request{Method: req.Method, URL: req.URL, Header: req.Header.Clone()})
	r.mu.Unlock()
	return r.next.Do(req)
}

// count is the number of requests of method whose query has param.
func (r *recorder) count(method, param string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Method == method && (param == "" && q.URL.RawQuery == "" || param != "" && q.URL.Query().Has(param)) {
			n++
		}
	}
	return n
}

type fixture struct {
	bucket string
	sdk    *s3.Client // an independent reader
	rec    *recorder
	store  *awsadapter.ObjectStore
}

func setup(t *testing.T) fixture {
	t.Helper()
	srv := moto.Start(t)
	rec := &recorder{next: awshttp.NewBuildableClient()}
	cfg := srv.AWSConfig(t.Context())
	cfg.HTTPClient = rec
	store, err := awsadapter.NewObjectStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sdk := s3.NewFromConfig(srv.AWSConfig(t.Context()), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "export-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if _, err := sdk.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return fixture{bucket: bucket, sdk: sdk, rec: rec, store: store}
}

func (f fixture) get(t *testing.T, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := f.sdk.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &f.bucket, Key: &key})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

func (f fixture) keys(t *testing.T) []string {
	t.Helper()
	out, err := f.sdk.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &f.bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

func (f fixture) uploads(t *testing.T) int {
	t.Helper()
	out, err := f.sdk.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &f.bucket})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeChunks writes b in uneven chunks, so parts are cut across writes.
func writeChunks(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	for len(b) > 0 {
		n := min(len(b), 100_003)
		if _, err := w.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
}

func TestMultipartByteIdentical(t *testing.T) {
	f := setup(t)
	d, err := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket, Prefix: "exports/nightly"})
	if err != nil {
		t.Fatal(err)
	}
	want := randomBytes(12<<20, 1)
	o, err := d.Create(t.Context(), "run-1/part-00001.csv")
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, o, want)
	if len(f.keys(t)) != 0 {
		t.Error("object visible before Commit")
	}
	n, err := o.Commit(t.Context())
	if err != nil || n != int64(len(want)) {
		t.Fatalf("commit %d, %v", n, err)
	}
	out, got := f.get(t, "exports/nightly/run-1/part-00001.csv")
	if !bytes.Equal(got, want) {
		t.Errorf("stored %d bytes differ from the %d written", len(got), len(want))
	}
	if parts := f.rec.count(http.MethodPut, "partNumber"); parts != 3 {
		t.Errorf("%d parts uploaded, want 3 (5+5+2 MiB)", parts)
	}
	if awssdk.ToString(out.ContentType) != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", awssdk.ToString(out.ContentType))
	}
	if f.uploads(t) != 0 {
		t.Error("an upload is left unfinished")
	}
}

func TestSmallFileIsOnePut(t *testing.T) {
	f := setup(t)
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket})
	o, err := d.Create(t.Context(), "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte(`{"complete":true}`))
	if _, err := o.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, got := f.get(t, "manifest.json"); string(got) != `{"complete":true}` {
		t.Errorf("stored %q", got)
	}
	if n := f.rec.count(http.MethodPost, "uploads"); n != 0 {
		t.Errorf("%d multipart uploads started for a small file", n)
	}
	if n := f.rec.count(http.MethodPut, ""); n != 1 {
		t.Errorf("%d PutObjects, want 1", n)
	}
	// An empty file is a valid object too (an export of no rows).
	o, _ = d.Create(t.Context(), "empty.ndjson")
	if n, err := o.Commit(t.Context()); err != nil || n != 0 {
		t.Errorf("empty commit %d, %v", n, err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	f := setup(t)
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket})
	o, _ := d.Create(t.Context(), "part-00001.csv")
	writeChunks(t, o, randomBytes(11<<20, 2))
	if f.uploads(t) != 1 {
		t.Fatal("no upload in progress after two parts")
	}
	if err := o.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.uploads(t); n != 0 {
		t.Errorf("%d uploads left after Abort", n)
	}
	if keys := f.keys(t); len(keys) != 0 {
		t.Errorf("objects %v after Abort", keys)
	}
	if _, err := o.Commit(t.Context()); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// SSE-KMS is asked for on the upload's creation (parts carry no
// encryption headers) and moto reports it on the object.
func TestSSEKMS(t *testing.T) {
	f := setup(t)
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket, KMSKeyID: key})
	for _, size := range []int{6 << 20, 100} {
		name := "part-" + strings.Repeat("x", size%7) + ".csv.gz"
		o, _ := d.Create(t.Context(), name)
		writeChunks(t, o, randomBytes(size, 3))
		if _, err := o.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		out, err := f.sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &f.bucket, Key: &name})
		if err != nil {
			t.Fatal(err)
		}
		if out.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || awssdk.ToString(out.SSEKMSKeyId) != key {
			t.Errorf("%d bytes: encryption %q key %q, want aws:kms with the configured key", size, out.ServerSideEncryption, awssdk.ToString(out.SSEKMSKeyId))
		}
	}
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	for _, r := range f.rec.reqs {
		sse := r.Header.Get("X-Amz-Server-Side-Encryption")
		create := r.Method == http.MethodPost && r.URL.Query().Has("uploads") || r.Method == http.MethodPut && r.URL.RawQuery == ""
		if create && (sse != "aws:kms" || r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != key) {
			t.Errorf("%s ?%s sent encryption %q", r.Method, r.URL.RawQuery, sse)
		}
		if !create && sse != "" {
			t.Errorf("%s ?%s sent an encryption header S3 refuses there", r.Method, r.URL.RawQuery)
		}
	}
}

func TestSSES3(t *testing.T) {
	f := setup(t)
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket, SSES3: true})
	o, _ := d.Create(t.Context(), "a.csv")
	o.Write([]byte("x"))
	if _, err := o.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	name := "a.csv"
	out, err := f.sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &f.bucket, Key: &name})
	if err != nil || out.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption %q, %v; want AES256", out.ServerSideEncryption, err)
	}
}

// A run dies mid-file (its upload neither completed nor aborted); the next
// run writes the same name. One complete object results, and the dead
// run's upload is aborted rather than left to be billed.
func TestCrashThenRerun(t *testing.T) {
	f := setup(t)
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket, Prefix: "x"})
	dead, _ := d.Create(t.Context(), "part-00001.ndjson")
	writeChunks(t, dead, randomBytes(7<<20, 4))
	// A neighbour whose key has ours as a prefix is not touched.
	other, _ := d.Create(t.Context(), "part-00001.ndjson.more")
	writeChunks(t, other, randomBytes(6<<20, 5))
	if f.uploads(t) != 2 {
		t.Fatal("the dead run's upload did not start")
	}

	want := randomBytes(9<<20, 6)
	o, err := d.Create(t.Context(), "part-00001.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, o, want)
	if _, err := o.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, got := f.get(t, "x/part-00001.ndjson"); !bytes.Equal(got, want) {
		t.Error("the object is not the second run's file")
	}
	if keys := f.keys(t); len(keys) != 1 {
		t.Errorf("objects %v, want one", keys)
	}
	if n := f.uploads(t); n != 1 {
		t.Errorf("%d uploads left, want only the neighbour's", n)
	}
	// The dead run, should it wake up, cannot complete over the new file.
	// (S3 answers 404 NoSuchUpload; moto 5.2.1 answers 500, so no retry.)
	s3dest.SetRetryWaits(d)
	if _, err := dead.Commit(t.Context()); err == nil {
		t.Error("the dead run's commit succeeded")
	}
	if _, got := f.get(t, "x/part-00001.ndjson"); !bytes.Equal(got, want) {
		t.Error("the dead run's commit replaced the object")
	}
	other.Abort(t.Context())
}

// A Segment through S3: its checksum is of the object as stored.
func TestSegmentChecksum(t *testing.T) {
	f := setup(t)
	d, _ := s3dest.New(f.store, s3dest.Config{Bucket: f.bucket})
	ctx := context.Background()
	format := export.Format{Type: export.CSV, Gzip: true}
	s, err := export.NewSegment(ctx, d, "part-00001"+format.Extension(), format, []string{"id", "blob"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200_000 { // incompressible enough for a multipart file
		if err := s.Write([]any{i, hex.EncodeToString(randomBytes(32, r.Uint64()))}); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, got := f.get(t, "part-00001.csv.gz")
	sum := sha256.Sum256(got)
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Bytes != int64(len(got)) {
		t.Errorf("info %+v, stored %d bytes with sha256 %x", info, len(got), sum)
	}
	if f.rec.count(http.MethodPut, "partNumber") < 2 {
		t.Errorf("the segment was not a multipart upload (%d bytes)", len(got))
	}
}

func TestConfig(t *testing.T) {
	if _, err := s3dest.New(nil, s3dest.Config{}); err == nil {
		t.Error("no bucket accepted")
	}
	if _, err := s3dest.New(nil, s3dest.Config{Bucket: "b", PartSize: 1 << 20}); err == nil {
		t.Error("1 MiB parts accepted")
	}
	d, _ := s3dest.New(nil, s3dest.Config{Bucket: "b", Prefix: "p", KeepStale: true})
	for _, name := range []string{"", "/a", "a/../b", "a//b"} {
		if _, err := d.Create(t.Context(), name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}
