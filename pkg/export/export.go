// Package export writes a scheduled export's files: rows encoded as CSV,
// NDJSON or Parquet, optionally gzip-compressed and OpenPGP-encrypted,
// streamed to a destination (S3, SFTP, HTTPS, a local directory) with
// constant memory, in segments a run can resume after a crash or the
// Lambda's time limit, and a manifest written last so consumers know the
// export is complete.
//
// The pieces:
//   - Destination (this file): where files go; one package per kind.
//   - Encoders (csv.go, ndjson.go, parquet.go) and the layers around them
//     (gzip, OpenPGP), put together by a Segment.
//   - Manifest: the file list with counts and checksums, and the
//     watermark an incremental export continues from.
package export

import (
	"context"
	"errors"
	"io"
)

// Destination receives an export's files. Names are relative paths
// ("2026-12-02/part-00001.csv.gz"); the destination places them under its
// own root (an S3 prefix, an SFTP directory).
type Destination interface {
	// Create starts the file name. Bytes written to the Object are not
	// visible under name until Commit: S3 completes a multipart upload,
	// SFTP renames a temporary file, HTTPS sends the request. A file
	// that is never committed leaves nothing under name.
	Create(ctx context.Context, name string) (Object, error)
}

// Object is one file being written.
type Object interface {
	io.Writer
	// Commit makes the file visible under its name, whole, and returns
	// its size. After Commit the Object is done.
	Commit(ctx context.Context) (size int64, err error)
	// Abort discards what was written (S3 AbortMultipartUpload, SFTP
	// remove). Abort after Commit does nothing.
	Abort(ctx context.Context) error
}

// ErrExists is what Create wraps when the destination refuses to replace
// a committed file (an SFTP server without overwrite, say).
var ErrExists = errors.New("file exists")
