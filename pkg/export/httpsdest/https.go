// Package httpsdest is the HTTPS export destination: each file is one
// request (PUT, or POST) to a URL made from a template, sent on Commit
// with its length and its SHA-256 digest (RFC 9530 Content-Digest and
// Repr-Digest, and the older RFC 3230 Digest), so the receiver never sees
// part of a file. Until then the bytes wait in a temporary file, so
// memory stays constant whatever the file's size; Commit and Abort remove
// it.
//
// Calls go through the egress client the caller passes (https only under
// the production policy). A 2xx commits; the rest is classified by
// fault.FromHTTP: 408, 429 and 5xx retry, 401 is fault.Auth, every other
// status is permanent.
package httpsdest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Destination sends files to one URL template. It is safe for concurrent
// use.
type Destination struct {
	cfg     Config
	hc      *http.Client
	tempDir string
}

var _ export.Destination = (*Destination)(nil)

// Option changes a Destination's defaults.
type Option func(*Destination)

// WithTempDir spools files in dir instead of os.TempDir() (/tmp in a
// Lambda, its only writable place).
func WithTempDir(dir string) Option { return func(d *Destination) { d.tempDir = dir } }

// New checks cfg against hc's egress policy and returns a Destination.
func New(cfg Config, hc *http.Client, opts ...Option) (*Destination, error) {
	if hc == nil {
		return nil, errors.New("https destination: no HTTP client")
	}
	if err := cfg.check(hc); err != nil {
		return nil, err
	}
	d := &Destination{cfg: cfg, hc: hc}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

// Create opens a temporary file for name's bytes; nothing is sent yet.
func (d *Destination) Create(ctx context.Context, name string) (export.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("file name %q: want a clean relative path", name))
	}
	target, err := expand(d.cfg.URL, name)
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, fmt.Errorf("https upload %s: url: %w", name, err))
	}
	f, err := os.CreateTemp(d.tempDir, "profilesync-export-*")
	if err != nil {
		return nil, fmt.Errorf("https upload %s: spool: %w", name, err)
	}
	sum := sha256.New()
	return &object{d: d, name: name, url: target, f: f, sum: sum, w: io.MultiWriter(f, sum)}, nil
}

// object is one file spooled to disk until Commit.
type object struct {
	d         *Destination
	name, url string
	f         *os.File
	sum       hash.Hash
	w         io.Writer
	size      int64
	done      bool
}

var _ export.Object = (*object)(nil)

func (o *object) Write(p []byte) (int, error) {
	if o.done {
		return 0, fmt.Errorf("https upload %s: the file is already committed or aborted", o.name)
	}
	n, err := o.w.Write(p)
	o.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("https upload %s: spool: %w", o.name, err)
	}
	return n, nil
}

// Commit sends the file in one request and removes the spool, whatever
// the answer: a failed file is written again from the start.
func (o *object) Commit(ctx context.Context) (int64, error) {
	if o.done {
		return 0, fmt.Errorf("https upload %s: the file is already committed or aborted", o.name)
	}
	defer o.discard()
	if err := o.send(ctx); err != nil {
		return 0, err
	}
	return o.size, nil
}

// Abort removes the spool; nothing was sent.
func (o *object) Abort(context.Context) error {
	if o.done {
		return nil
	}
	return o.discard()
}

func (o *object) discard() error {
	o.done = true
	cerr := o.f.Close()
	if err := os.Remove(o.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("https upload %s: remove the spool: %w", o.name, err)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("https upload %s: close the spool: %w", o.name, cerr)
	}
	return nil
}

func (o *object) send(ctx context.Context) error {
	cfg := o.d.cfg
	body := func() io.ReadCloser { return io.NopCloser(io.NewSectionReader(o.f, 0, o.size)) }
	req, err := http.NewRequestWithContext(ctx, cfg.Method, o.url, body())
	if err != nil {
		return fault.Wrap(fault.Permanent, fmt.Errorf("https upload %s: build the request", o.name))
	}
	req.ContentLength = o.size
	req.GetBody = func() (io.ReadCloser, error) { return body(), nil } // a 307/308 sends it again
	for k, v := range cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", cfg.ContentType)
	digest := base64.StdEncoding.EncodeToString(o.sum.Sum(nil))
	// No content coding is applied, so content and representation digests
	// are the same bytes' digest.
	req.Header.Set("Content-Digest", "sha-256=:"+digest+":")
	req.Header.Set("Repr-Digest", "sha-256=:"+digest+":")
	req.Header.Set("Digest", "SHA-256="+digest)
	if !strings.Contains(cfg.URL, NamePlaceholder) {
		req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": o.name}))
	}
	resp, err := o.d.hc.Do(req)
	if err != nil {
		return o.transportError(req, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 == 2 {
		return nil
	}
	// The body is not quoted: a receiver may echo what we sent.
	fe := fault.FromHTTP(resp.StatusCode, resp.Header, "", http.StatusText(resp.StatusCode))
	return fmt.Errorf("https upload %s to %s: %w", o.name, req.URL.Host, fe)
}

// transportError classifies a failed request without quoting its URL (it
// may carry a signature): the egress policy's refusals stay permanent,
// everything else (refused, reset, timed out) is transient.
func (o *object) transportError(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	err = fmt.Errorf("https upload %s to %s: %w", o.name, req.URL.Host, err)
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	return fault.Wrap(fault.Transient, err)
}
