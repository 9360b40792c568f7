package awsadapter_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// s3Stub answers with S3's documented behaviours moto does not show: a
// CompleteMultipartUpload that fails in a 200 body, 404 NoSuchUpload, and
// paged ListMultipartUploads.
func s3Stub(t *testing.T, handler http.HandlerFunc) *paws.ObjectStore {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	store, err := paws.NewObjectStore(awssdk.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
		BaseEndpoint: awssdk.String(srv.URL),
		HTTPClient:   egress.Client(egress.Local, 5*time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func TestCompleteErrorInOKBody(t *testing.T) {
	store := s3Stub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Query().Get("uploadId") != "u 1" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`))
	})
	err := store.CompleteMultipartUpload(t.Context(), "b", "k.csv", "u 1", []paws.CompletedPart{{PartNumber: 1, ETag: `"e"`}})
	if err == nil || fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("error %v, want a transient InternalError", err)
	}
}

func TestCompleteSendsParts(t *testing.T) {
	var body string
	store := s3Stub(t, func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		body = b.String()
		w.Write([]byte(`<CompleteMultipartUploadResult><Key>k</Key><ETag>"x-2"</ETag></CompleteMultipartUploadResult>`))
	})
	parts := []paws.CompletedPart{{PartNumber: 1, ETag: `"a"`}, {PartNumber: 2, ETag: `"b"`}}
	if err := store.CompleteMultipartUpload(t.Context(), "b", "k", "u", parts); err != nil {
		t.Fatal(err)
	}
	want := `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;a&#34;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&#34;b&#34;</ETag></Part></CompleteMultipartUpload>`
	if body != want {
		t.Errorf("body %s", body)
	}
}

func TestNoSuchUpload(t *testing.T) {
	store := s3Stub(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`))
	})
	if _, err := store.UploadPart(t.Context(), "b", "k", "u", 1, []byte("x")); !errors.Is(err, paws.ErrNoSuchUpload) {
		t.Errorf("upload part: %v", err)
	}
	if err := store.AbortMultipartUpload(t.Context(), "b", "k", "u"); !errors.Is(err, paws.ErrNoSuchUpload) {
		t.Errorf("abort: %v", err)
	}
}

func TestListMultipartUploadsPages(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	store := s3Stub(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("key-marker") == "" {
			w.Write([]byte(`<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>p/a</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>
<Upload><Key>p/a</Key><UploadId>u1</UploadId><Initiated>2026-12-02T10:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>`))
			return
		}
		w.Write([]byte(`<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>
<Upload><Key>p/b</Key><UploadId>u2</UploadId><Initiated>2026-12-02T11:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>`))
	})
	ups, err := store.ListMultipartUploads(t.Context(), "b", "p/")
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].UploadID != "u1" || ups[1].Key != "p/b" || ups[1].Initiated.Hour() != 11 {
		t.Errorf("uploads %+v", ups)
	}
	if len(queries) != 2 || !strings.Contains(queries[1], "key-marker=p%2Fa") || !strings.Contains(queries[1], "upload-id-marker=u1") || !strings.Contains(queries[0], "prefix=p%2F") {
		t.Errorf("queries %q", queries)
	}
}
