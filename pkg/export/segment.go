package export

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	// Standard gzip, written about twice as fast as compress/gzip.
	"github.com/klauspost/compress/gzip"
)

// SegmentInfo describes a committed segment file, as the manifest lists
// it.
type SegmentInfo struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// SHA256 is the hex digest of the bytes as stored: after compression
	// and encryption, so a consumer can check the file it downloaded.
	SHA256 string `json:"sha256"`
}

// Segment is one file of an export, complete on its own: a CSV with its
// header, a Parquet file with its footer, a whole gzip stream, a whole
// OpenPGP message. A run that dies mid-segment aborts or abandons it and
// writes it again; nothing under its name is visible until Close.
//
// Bytes flow encoder → gzip → OpenPGP → SHA-256 and byte count → Object.
// A Segment is not safe for concurrent use.
type Segment struct {
	name    string
	columns int
	obj     Object
	enc     encoder
	closers []io.Closer // gzip, then OpenPGP: closed in that order after the encoder
	sum     hash.Hash
	stored  *countingWriter
	rows    int64
	err     error // the first write error; the segment can then only be aborted
	done    bool
}

// PartName is the file name of segment n (from 1) of an export in f:
// "part-00001.csv.gz". Names sort in segment order up to 99,999.
func PartName(n int, f Format) string { return fmt.Sprintf("part-%05d%s", n, f.Extension()) }

// NewSegment validates f, creates name at dest and starts f's layers on
// it. name is used as given: add f.Extension() yourself.
func NewSegment(ctx context.Context, dest Destination, name string, f Format, columns []string) (*Segment, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if len(columns) == 0 {
		return nil, errors.New("segment: no columns")
	}
	obj, err := dest.Create(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("segment create: %w", err)
	}
	s := &Segment{name: name, columns: len(columns), obj: obj, sum: sha256.New()}
	s.stored = &countingWriter{w: io.MultiWriter(s.sum, obj)}
	var w io.Writer = s.stored
	if f.Recipient != "" {
		keys, err := f.recipients()
		if err != nil {
			return nil, s.abortWith(ctx, err)
		}
		pw, err := pgpEncrypt(w, keys, rand.Reader)
		if err != nil {
			return nil, s.abortWith(ctx, fmt.Errorf("segment openpgp: %w", err))
		}
		s.closers = append([]io.Closer{pw}, s.closers...)
		w = pw
	}
	if f.Gzip && f.Type != Parquet {
		gw := gzip.NewWriter(w)
		s.closers = append([]io.Closer{gw}, s.closers...)
		w = gw
	}
	if s.enc, err = newEncoder(w, f, columns); err != nil {
		return nil, s.abortWith(ctx, err)
	}
	return s, nil
}

// Write encodes one row; it must have one value per column. After an
// error the segment is broken: Abort it.
func (s *Segment) Write(row []any) error {
	switch {
	case s.done:
		return errors.New("segment: write after close")
	case s.err != nil:
		return s.err
	case len(row) != s.columns:
		return fmt.Errorf("segment: row of %d values for %d columns", len(row), s.columns)
	}
	if err := s.enc.WriteRow(row); err != nil {
		s.err = fmt.Errorf("segment row %d: %w", s.rows+1, err)
		return s.err
	}
	s.rows++
	return nil
}

// Rows is the number of rows written so far.
func (s *Segment) Rows() int64 { return s.rows }

// Close finishes the layers, commits the object and describes it. On an
// error the object is aborted.
func (s *Segment) Close(ctx context.Context) (SegmentInfo, error) {
	if s.done {
		return SegmentInfo{}, errors.New("segment: closed twice")
	}
	if s.err != nil {
		return SegmentInfo{}, s.abortWith(ctx, s.err)
	}
	if err := s.enc.Close(); err != nil {
		return SegmentInfo{}, s.abortWith(ctx, fmt.Errorf("segment encode: %w", err))
	}
	for _, c := range s.closers {
		if err := c.Close(); err != nil {
			return SegmentInfo{}, s.abortWith(ctx, fmt.Errorf("segment close layer: %w", err))
		}
	}
	if s.stored.err != nil {
		return SegmentInfo{}, s.abortWith(ctx, s.stored.err)
	}
	size, err := s.obj.Commit(ctx)
	s.done = true
	if err != nil {
		_ = s.obj.Abort(ctx)
		return SegmentInfo{}, fmt.Errorf("segment commit: %w", err)
	}
	if size != s.stored.n {
		return SegmentInfo{}, fmt.Errorf("segment commit: destination stored %d bytes of %d", size, s.stored.n)
	}
	return SegmentInfo{Name: s.name, Rows: s.rows, Bytes: s.stored.n, SHA256: hex.EncodeToString(s.sum.Sum(nil))}, nil
}

// Abort discards the segment; nothing is left under its name. Abort
// after Close does nothing.
func (s *Segment) Abort(ctx context.Context) error {
	if s.done {
		return nil
	}
	s.done = true
	return s.obj.Abort(ctx)
}

func (s *Segment) abortWith(ctx context.Context, err error) error {
	s.done = true
	if aerr := s.obj.Abort(ctx); aerr != nil {
		return errors.Join(err, fmt.Errorf("segment abort: %w", aerr))
	}
	return err
}

// countingWriter counts what reaches the destination and keeps the first
// error, which gzip and OpenPGP would otherwise report only on Close.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = fmt.Errorf("segment write: %w", err)
	}
	return n, c.err
}
