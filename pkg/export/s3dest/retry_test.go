package s3dest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
	"github.com/profilesync/profilesync/pkg/fault"
)

// flaky is an API whose UploadPart fails with the queued errors first.
type flaky struct {
	partErrs []error
	parts    int
	aborted  int
	complete int
}

func (f *flaky) PutObjectWith(context.Context, string, string, []byte, awsadapter.ObjectOptions) error {
	return nil
}
func (f *flaky) CreateMultipartUpload(context.Context, string, string, awsadapter.ObjectOptions) (string, error) {
	return "u1", nil
}
func (f *flaky) UploadPart(_ context.Context, _, _, _ string, part int, _ []byte) (string, error) {
	if len(f.partErrs) > 0 {
		err := f.partErrs[0]
		f.partErrs = f.partErrs[1:]
		return "", err
	}
	f.parts++
	return `"etag"`, nil
}
func (f *flaky) CompleteMultipartUpload(context.Context, string, string, string, []awsadapter.CompletedPart) error {
	f.complete++
	return nil
}
func (f *flaky) AbortMultipartUpload(context.Context, string, string, string) error {
	f.aborted++
	return nil
}
func (f *flaky) ListMultipartUploads(context.Context, string, string) ([]awsadapter.MultipartUpload, error) {
	return nil, nil
}

func TestRetries(t *testing.T) {
	unavailable := fault.FromHTTP(http.StatusServiceUnavailable, http.Header{}, "ServiceUnavailable", "")
	slowDown := fault.FromHTTP(http.StatusServiceUnavailable, http.Header{}, "SlowDown", "")
	denied := fault.FromHTTP(http.StatusForbidden, http.Header{}, "AccessDenied", "")
	for _, tc := range []struct {
		name      string
		errs      []error
		wantErr   error
		wantParts int
	}{
		{"transient then fine", []error{unavailable, slowDown}, nil, 2},
		{"network error then fine", []error{errors.New("connection reset")}, nil, 2},
		{"transient past the retries", []error{unavailable, unavailable, unavailable}, unavailable, 0},
		{"refused is not retried", []error{denied}, denied, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &flaky{partErrs: tc.errs}
			d, _ := s3dest.New(api, s3dest.Config{Bucket: "b"})
			s3dest.SetRetryWaits(d, 0, 0)
			o, _ := d.Create(t.Context(), "f.csv")
			_, werr := o.Write(make([]byte, s3dest.MinPartSize+1))
			_, cerr := o.Commit(t.Context())
			err := errors.Join(werr, cerr)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && (api.parts != tc.wantParts || api.complete != 1) {
				t.Errorf("%d parts, %d completes", api.parts, api.complete)
			}
			if tc.wantErr != nil && (api.aborted != 1 || api.complete != 0) {
				t.Errorf("failed upload: %d aborts, %d completes; want it aborted", api.aborted, api.complete)
			}
		})
	}
}
