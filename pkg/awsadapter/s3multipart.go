package awsadapter

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// S3's multipart upload, made with the same signed REST calls as
// PutObject (see ObjectStore for why not the SDK's client). An export
// streams a file of any size through it holding one part in memory.

// ObjectOptions are the headers an object is created with.
type ObjectOptions struct {
	ContentType string
	// KMSKeyID asks for SSE-KMS with this key (id, ARN or alias).
	KMSKeyID string
	// SSES3 asks for SSE-S3 (AES256) when KMSKeyID is empty. With neither,
	// the bucket's default encryption applies.
	SSES3 bool
}

func (opt ObjectOptions) header() http.Header {
	h := http.Header{}
	if opt.ContentType != "" {
		h.Set("Content-Type", opt.ContentType)
	}
	switch {
	case opt.KMSKeyID != "":
		h.Set("X-Amz-Server-Side-Encryption", "aws:kms")
		h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", opt.KMSKeyID)
	case opt.SSES3:
		h.Set("X-Amz-Server-Side-Encryption", "AES256")
	}
	return h
}

// CompletedPart is an uploaded part as CompleteMultipartUpload lists it.
type CompletedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// MultipartUpload is an upload that was started and neither completed
// nor aborted.
type MultipartUpload struct {
	Key       string    `xml:"Key"`
	UploadID  string    `xml:"UploadId"`
	Initiated time.Time `xml:"Initiated"`
}

// ErrNoSuchUpload is S3's answer for an upload id that was completed,
// aborted or never existed (404 NoSuchUpload).
var ErrNoSuchUpload = errors.New("s3: no such upload")

// PutObjectWith stores a small body whole, with opt's headers.
func (o *ObjectStore) PutObjectWith(ctx context.Context, bucket, key string, body []byte, opt ObjectOptions) error {
	resp, err := o.doQuery(ctx, http.MethodPut, bucket, key, nil, opt.header(), body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return multipartError("put object", resp)
	}
	return nil
}

// CreateMultipartUpload starts an upload to bucket/key; the object's
// headers (type, encryption) are given here, not with the parts.
func (o *ObjectStore) CreateMultipartUpload(ctx context.Context, bucket, key string, opt ObjectOptions) (string, error) {
	resp, err := o.doQuery(ctx, http.MethodPost, bucket, key, url.Values{"uploads": {""}}, opt.header(), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", multipartError("create multipart upload", resp)
	}
	var out struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil || out.UploadID == "" {
		return "", fmt.Errorf("s3 create multipart upload: unreadable answer: %v", err)
	}
	return out.UploadID, nil
}

// UploadPart uploads part number part (1 to 10,000; every part but the
// last at least 5 MiB) and returns its ETag. Uploading a part number
// again replaces it, so a failed part can be retried.
func (o *ObjectStore) UploadPart(ctx context.Context, bucket, key, uploadID string, part int, body []byte) (string, error) {
	q := url.Values{"partNumber": {strconv.Itoa(part)}, "uploadId": {uploadID}}
	resp, err := o.doQuery(ctx, http.MethodPut, bucket, key, q, http.Header{}, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", multipartError("upload part", resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	etag := resp.Header.Get("ETag")
	if etag == "" {
		return "", errors.New("s3 upload part: no ETag in the answer")
	}
	return etag, nil
}

// CompleteMultipartUpload makes the object of the parts, in order,
// visible under its key. S3 can answer 200 with an error in the body;
// that is an error here too.
func (o *ObjectStore) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart) error {
	body, err := xml.Marshal(struct {
		XMLName xml.Name        `xml:"CompleteMultipartUpload"`
		Parts   []CompletedPart `xml:"Part"`
	}{Parts: parts})
	if err != nil {
		return fmt.Errorf("s3 complete multipart upload: %w", err)
	}
	resp, err := o.doQuery(ctx, http.MethodPost, bucket, key, url.Values{"uploadId": {uploadID}},
		http.Header{"Content-Type": {"application/xml"}}, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return multipartError("complete multipart upload", resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("s3 complete multipart upload: %w", err)
	}
	var root struct {
		XMLName xml.Name
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if err := xml.Unmarshal(b, &root); err != nil {
		return fmt.Errorf("s3 complete multipart upload: unreadable answer: %w", err)
	}
	if root.XMLName.Local == "Error" {
		return fmt.Errorf("s3 complete multipart upload: %w", classified(http.StatusInternalServerError, resp.Header, root.Code, root.Message))
	}
	return nil
}

// AbortMultipartUpload discards an upload and its parts. An upload that
// is already gone is ErrNoSuchUpload.
func (o *ObjectStore) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	resp, err := o.doQuery(ctx, http.MethodDelete, bucket, key, url.Values{"uploadId": {uploadID}}, http.Header{}, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return multipartError("abort multipart upload", resp)
	}
	return nil
}

// ListMultipartUploads lists the unfinished uploads whose keys start
// with prefix, following S3's pages (1,000 uploads each).
func (o *ObjectStore) ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]MultipartUpload, error) {
	var all []MultipartUpload
	q := url.Values{"uploads": {""}, "prefix": {prefix}}
	for range 1000 { // a million uploads is a bucket no export should page through
		resp, err := o.doQuery(ctx, http.MethodGet, bucket, "", q, http.Header{}, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Uploads            []MultipartUpload `xml:"Upload"`
			IsTruncated        bool              `xml:"IsTruncated"`
			NextKeyMarker      string            `xml:"NextKeyMarker"`
			NextUploadIDMarker string            `xml:"NextUploadIdMarker"`
		}
		if resp.StatusCode != http.StatusOK {
			err = multipartError("list multipart uploads", resp)
		} else if derr := xml.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&page); derr != nil {
			err = fmt.Errorf("s3 list multipart uploads: unreadable answer: %w", derr)
		}
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, page.Uploads...)
		if !page.IsTruncated {
			return all, nil
		}
		q.Set("key-marker", page.NextKeyMarker)
		q.Set("upload-id-marker", page.NextUploadIDMarker)
	}
	return nil, errors.New("s3 list multipart uploads: too many pages")
}

// multipartError reads S3's XML error and classifies it by status (5xx
// and 408 transient, 429 and SlowDown throttled, 403 permanent).
func multipartError(op string, resp *http.Response) error {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = xml.Unmarshal(bytes.TrimSpace(b), &e)
	if e.Code == "NoSuchUpload" {
		return fmt.Errorf("s3 %s: %w", op, ErrNoSuchUpload)
	}
	return fmt.Errorf("s3 %s: %w", op, classified(resp.StatusCode, resp.Header, e.Code, e.Message))
}

func classified(status int, h http.Header, code, msg string) error {
	fe := fault.FromHTTP(status, h, code, msg)
	if code == "SlowDown" {
		fe.Class = fault.Throttled
	}
	return fe
}
