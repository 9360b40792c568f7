package sftpdest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/pkg/sftp"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/fault"
)

// createFlags open the temporary file new: two runs never share one.
const createFlags = os.O_WRONLY | os.O_CREATE | os.O_EXCL

// bufferSize is what the object collects before writing: enough for 32
// packets of 32 KiB in flight at once, and the most memory a file uses
// here whatever its size.
const bufferSize = 1 << 20

// object is one file being written under its temporary name.
type object struct {
	d          *Destination
	s          *session
	f          *sftp.File
	buf        *bufio.Writer
	tmp, final string
	size       int64
	err        error // the first failed write; the file is lost after it
	closed     bool  // f is closed
	done       bool  // committed or aborted
}

var _ export.Object = (*object)(nil)

func newObject(d *Destination, s *session, f *sftp.File, tmp, final string) *object {
	return &object{d: d, s: s, f: f, buf: bufio.NewWriterSize(f, bufferSize), tmp: tmp, final: final}
}

func (o *object) Write(p []byte) (int, error) {
	if o.done || o.closed {
		return 0, fmt.Errorf("sftp write %s: the file is already committed or aborted", o.final)
	}
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.buf.Write(p)
	o.size += int64(n)
	if err != nil {
		o.err = classify("write", o.tmp, err)
	}
	return n, o.err
}

// Commit writes what is buffered, fsyncs when the server can, closes, and
// renames the temporary file over the final name: atomically with
// posix-rename@openssh.com, else by removing the old file first.
func (o *object) Commit(ctx context.Context) (int64, error) {
	if o.done || o.closed {
		return 0, fmt.Errorf("sftp commit %s: the file is already committed or aborted", o.final)
	}
	if o.err != nil {
		return 0, o.err
	}
	// Everything below is one file's requests on the object's own
	// session: a new connection cannot finish a file the old one wrote.
	stop := context.AfterFunc(ctx, func() { o.d.drop(o.s) })
	defer stop()
	if err := o.buf.Flush(); err != nil {
		return 0, o.fail(ctx, classify("write", o.tmp, err))
	}
	if o.s.fsync {
		if err := o.f.Sync(); err != nil {
			return 0, o.fail(ctx, classify("fsync", o.tmp, err))
		}
	}
	o.closed = true
	if err := o.f.Close(); err != nil {
		return 0, o.fail(ctx, classify("close", o.tmp, err))
	}
	if err := o.rename(); err != nil {
		return 0, o.fail(ctx, err)
	}
	o.done = true
	return o.size, nil
}

func (o *object) rename() error {
	c := o.s.sftp
	if o.s.posix {
		if err := c.PosixRename(o.tmp, o.final); err != nil {
			return classify("rename", o.final, err)
		}
		return nil
	}
	// Plain SFTP rename refuses an existing target; for a moment between
	// Remove and Rename the final name is missing.
	err := c.Rename(o.tmp, o.final)
	if err == nil {
		return nil
	}
	if _, serr := c.Stat(o.final); serr != nil {
		return classify("rename", o.final, err)
	}
	if rerr := c.Remove(o.final); rerr != nil {
		return fault.Wrap(fault.Permanent, fmt.Errorf("sftp replace %s: %w (%w)", o.final, export.ErrExists, rerr))
	}
	if err := c.Rename(o.tmp, o.final); err != nil {
		return classify("rename", o.final, err)
	}
	return nil
}

// fail adds ctx's error to err when ctx ended the commit (it hung up).
func (o *object) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
}

// Abort closes the file and removes it, on a new connection if the
// object's one broke. Abort after Commit does nothing.
func (o *object) Abort(ctx context.Context) error {
	if o.done {
		return nil
	}
	o.done = true
	if !o.closed {
		o.closed = true
		_ = o.f.Close() // the file goes anyway; a lost connection closed it already
	}
	return o.d.do(ctx, func(s *session) error {
		err := s.sftp.Remove(o.tmp)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return classify("remove", o.tmp, err)
	})
}

// parent is name's directory, or "" for the login directory.
func parent(name string) string {
	if dir := path.Dir(name); dir != "." {
		return dir
	}
	return ""
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}
