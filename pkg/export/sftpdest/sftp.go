// Package sftpdest is the SFTP export destination: each file is written
// under a temporary name ("<name>.part-<random>") in the configured
// directory and renamed over its final name on Commit, so a consumer
// polling the directory never sees half a file. One SSH connection per
// Destination carries every file, and is dialled again once when it
// broke.
//
// The server's host key is pinned from the secret (there is no trust on
// first use and no way to skip the check). Tests run against a real
// OpenSSH server (internal/sshd).
package sftpdest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/profilesync/profilesync/pkg/export"
)

// DefaultTimeout bounds connecting: the TCP dial and the SSH handshake.
const DefaultTimeout = 30 * time.Second

// Destination writes files to one SFTP server. It is safe for concurrent
// use; Close it when the export is done.
type Destination struct {
	cfg     Config
	addr    string
	ssh     *ssh.ClientConfig
	timeout time.Duration

	mu   sync.Mutex
	conn *session // nil until the first Create, or after it broke
}

// session is one SSH connection and the SFTP client on it.
type session struct {
	ssh   *ssh.Client
	sftp  *sftp.Client
	fsync bool // the server offers fsync@openssh.com
	posix bool // the server offers posix-rename@openssh.com
	gone  chan struct{}
}

var _ export.Destination = (*Destination)(nil)

// Option changes a Destination's defaults.
type Option func(*Destination)

// WithTimeout bounds connecting (TCP and SSH handshake); default
// DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(dst *Destination) { dst.timeout = d } }

// New checks cfg and returns a Destination; it connects on the first
// Create. Errors name the faulty field, never a value.
func New(cfg Config, opts ...Option) (*Destination, error) {
	a, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	d := &Destination{cfg: cfg, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), timeout: DefaultTimeout}
	for _, o := range opts {
		o(d)
	}
	want := a.hostKey.Marshal()
	d.ssh = &ssh.ClientConfig{
		User: cfg.User,
		Auth: a.methods,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if !bytes.Equal(key.Marshal(), want) {
				return ErrHostKeyMismatch
			}
			return nil
		},
		HostKeyAlgorithms: a.algos,
		Timeout:           d.timeout,
	}
	return d, nil
}

// Create starts name under the configured directory: it makes the missing
// directories and opens "<name>.part-<random>" exclusively.
func (d *Destination) Create(ctx context.Context, name string) (export.Object, error) {
	final, err := remotePath(d.cfg.Dir, name)
	if err != nil {
		return nil, err
	}
	tmp := final + ".part-" + randomSuffix()
	var obj *object
	err = d.do(ctx, func(s *session) error {
		if dir := parent(final); dir != "" {
			if err := s.sftp.MkdirAll(dir); err != nil {
				return classify("mkdir", dir, err)
			}
		}
		f, err := s.sftp.OpenFile(tmp, createFlags)
		if err != nil {
			return classify("create", tmp, err)
		}
		obj = newObject(d, s, f, tmp, final)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// Close hangs up. A later Create connects again.
func (d *Destination) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil
	}
	err := d.conn.close()
	d.conn = nil
	return err
}

// do runs f on the current session, connecting first if there is none or
// it broke, and once more on a new session when f failed because the
// connection was lost. A cancelled ctx hangs up, which ends f.
func (d *Destination) do(ctx context.Context, f func(*session) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := d.session(ctx)
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { d.drop(s) })
		err = f(s)
		stop()
		if err == nil || attempt > 0 || ctx.Err() != nil || !(s.broken() || lostConnection(err)) {
			if ctx.Err() != nil && err != nil {
				return fmt.Errorf("%w (%w)", err, ctx.Err())
			}
			return err
		}
		d.drop(s)
	}
}

// session returns the live session, dialling one if needed.
func (d *Destination) session(ctx context.Context) (*session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil && !d.conn.broken() {
		return d.conn, nil
	}
	if d.conn != nil {
		_ = d.conn.close()
		d.conn = nil
	}
	s, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	d.conn = s
	return s, nil
}

// drop forgets s (if it is still current) and hangs it up.
func (d *Destination) drop(s *session) {
	d.mu.Lock()
	if d.conn == s {
		d.conn = nil
	}
	d.mu.Unlock()
	_ = s.close()
}

func (d *Destination) dial(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	nc, err := (&net.Dialer{KeepAlive: 15 * time.Second}).DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, classifyDial(d.addr, err)
	}
	// The handshake has no context; a deadline on the socket bounds it.
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	c, chans, reqs, err := ssh.NewClientConn(nc, d.addr, d.ssh)
	if err != nil {
		nc.Close()
		return nil, classifyDial(d.addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	sc := ssh.NewClient(c, chans, reqs)
	// Concurrent writes keep several packets in flight per Write; the
	// object hands them a bounded buffer at a time.
	fc, err := sftp.NewClient(sc, sftp.UseConcurrentWrites(true))
	if err != nil {
		sc.Close()
		return nil, classifyDial(d.addr, fmt.Errorf("start the sftp subsystem: %w", err))
	}
	s := &session{ssh: sc, sftp: fc, gone: make(chan struct{})}
	_, s.fsync = fc.HasExtension("fsync@openssh.com")
	_, s.posix = fc.HasExtension("posix-rename@openssh.com")
	go func(gone chan struct{}) {
		_ = sc.Wait()
		close(gone)
	}(s.gone)
	return s, nil
}

// broken reports whether the SSH connection has ended.
func (s *session) broken() bool {
	select {
	case <-s.gone:
		return true
	default:
		return false
	}
}

func (s *session) close() error {
	err := s.sftp.Close()
	if cerr := s.ssh.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}
