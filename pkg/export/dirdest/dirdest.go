// Package dirdest is the export Destination of the local stack: files in
// a directory, each written to a hidden temporary file beside its final
// name, synced, and renamed into place on Commit, so a reader never sees
// a partial file. It is not for Lambda (whose only disk is /tmp).
package dirdest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/profilesync/profilesync/pkg/export"
)

// Dir writes files under its root directory.
type Dir struct {
	root string
}

var _ export.Destination = (*Dir)(nil)

// New returns the destination rooted at root, which must be a directory.
func New(root string) (*Dir, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("dirdest: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dirdest: %s is not a directory", root)
	}
	return &Dir{root: root}, nil
}

// Create starts name, a slash-separated path under the root; missing
// directories are made. The file is private to its owner (0600): exports
// hold personal data. A committed file of the same name is replaced.
func (d *Dir) Create(ctx context.Context, name string) (export.Object, error) {
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("dirdest: name %q is not a path inside the directory", name)
	}
	final := filepath.Join(d.root, rel)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("dirdest: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("dirdest: %w", err)
	}
	return &file{f: f, w: bufio.NewWriterSize(f, 256<<10), final: final}, nil
}

type file struct {
	f     *os.File
	w     *bufio.Writer
	final string
	n     int64
	done  bool
}

func (o *file) Write(p []byte) (int, error) {
	if o.done {
		return 0, errors.New("dirdest: write after commit or abort")
	}
	n, err := o.w.Write(p)
	o.n += int64(n)
	return n, err
}

// Commit flushes, syncs and renames the file into place, then syncs the
// directory so the rename survives a crash.
func (o *file) Commit(ctx context.Context) (int64, error) {
	if o.done {
		return 0, errors.New("dirdest: commit after commit or abort")
	}
	o.done = true
	err := o.w.Flush()
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.f.Name(), o.final)
	}
	if err != nil {
		_ = os.Remove(o.f.Name())
		return 0, fmt.Errorf("dirdest commit: %w", err)
	}
	if err := syncDir(filepath.Dir(o.final)); err != nil {
		return 0, fmt.Errorf("dirdest commit: %w", err)
	}
	return o.n, nil
}

// Abort removes the temporary file.
func (o *file) Abort(ctx context.Context) error {
	if o.done {
		return nil
	}
	o.done = true
	_ = o.f.Close()
	if err := os.Remove(o.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("dirdest abort: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
