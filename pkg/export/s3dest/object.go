package s3dest

import (
	"context"
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/pkg/awsadapter"
)

// object buffers up to one part; a full buffer starts the multipart upload (if
// not yet started) and is sent as the next part.
type object struct {
	// ctx is Create's: Write, which sends the parts, has none of its own.
	ctx      context.Context
	d        *S3
	key      string
	buf      []byte
	uploadID string
	parts    []awsadapter.CompletedPart
	n        int64
	err      error // the first failure; the object can then only be aborted
	done     bool
}

func (o *object) Write(p []byte) (int, error) {
	if o.done {
		return 0, errors.New("s3dest: write after commit or abort")
	}
	if o.err != nil {
		return 0, o.err
	}
	written := 0
	partSize := o.d.cfg.PartSize
	for len(p) > 0 {
		k := min(partSize-len(o.buf), len(p))
		if len(o.buf)+k > cap(o.buf) {
			// Grow towards one part, so a manifest does not cost 5 MiB.
			grown := make([]byte, len(o.buf), min(partSize, max(2*cap(o.buf), len(o.buf)+k, 64<<10)))
			copy(grown, o.buf)
			o.buf = grown
		}
		o.buf = append(o.buf, p[:k]...)
		p = p[k:]
		written += k
		o.n += int64(k)
		if len(o.buf) == partSize {
			if err := o.flushPart(o.ctx); err != nil {
				o.err = err
				return written, err
			}
		}
	}
	return written, nil
}

// flushPart sends the buffer as the next part.
func (o *object) flushPart(ctx context.Context) error {
	d := o.d
	if o.uploadID == "" {
		err := d.withRetry(ctx, func() error {
			id, err := d.api.CreateMultipartUpload(ctx, d.cfg.Bucket, o.key, d.options(o.key))
			o.uploadID = id
			return err
		})
		if err != nil {
			return fmt.Errorf("s3dest: %w", err)
		}
	}
	number := len(o.parts) + 1
	if number > maxParts {
		return fmt.Errorf("s3dest: file over %d parts of %d bytes", maxParts, d.cfg.PartSize)
	}
	var etag string
	err := d.withRetry(ctx, func() error {
		var err error
		etag, err = d.api.UploadPart(ctx, d.cfg.Bucket, o.key, o.uploadID, number, o.buf)
		return err
	})
	if err != nil {
		return fmt.Errorf("s3dest: part %d: %w", number, err)
	}
	o.parts = append(o.parts, awsadapter.CompletedPart{PartNumber: number, ETag: etag})
	o.buf = o.buf[:0]
	return nil
}

// Commit sends the rest and completes the upload, or puts a file smaller
// than one part whole.
func (o *object) Commit(ctx context.Context) (int64, error) {
	if o.done {
		return 0, errors.New("s3dest: commit after commit or abort")
	}
	if o.err != nil {
		return 0, errors.Join(o.err, o.Abort(ctx))
	}
	d := o.d
	if o.uploadID == "" {
		err := d.withRetry(ctx, func() error {
			return d.api.PutObjectWith(ctx, d.cfg.Bucket, o.key, o.buf, d.options(o.key))
		})
		if err != nil {
			return 0, fmt.Errorf("s3dest: put: %w", err)
		}
		o.done, o.buf = true, nil
		return o.n, nil
	}
	if len(o.buf) > 0 {
		if err := o.flushPart(ctx); err != nil {
			return 0, errors.Join(err, o.Abort(ctx))
		}
	}
	err := d.withRetry(ctx, func() error {
		return d.api.CompleteMultipartUpload(ctx, d.cfg.Bucket, o.key, o.uploadID, o.parts)
	})
	if err != nil {
		return 0, errors.Join(fmt.Errorf("s3dest: complete: %w", err), o.Abort(ctx))
	}
	o.done, o.buf = true, nil
	return o.n, nil
}

// Abort discards the upload and its parts. A file never sent (smaller
// than a part) needs no request.
func (o *object) Abort(ctx context.Context) error {
	if o.done {
		return nil
	}
	o.done, o.buf = true, nil
	if o.uploadID == "" {
		return nil
	}
	err := o.d.withRetry(ctx, func() error {
		return o.d.api.AbortMultipartUpload(ctx, o.d.cfg.Bucket, o.key, o.uploadID)
	})
	if err != nil && !errors.Is(err, awsadapter.ErrNoSuchUpload) {
		return fmt.Errorf("s3dest: abort: %w", err)
	}
	return nil
}
