package sftpdest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/pkg/sftp"

	"github.com/profilesync/profilesync/pkg/fault"
)

// ErrHostKeyMismatch is what Create wraps when the server shows a host key
// other than the configured host_key: a moved server, a re-keyed one, or
// someone in between. It is permanent until the secret changes.
var ErrHostKeyMismatch = errors.New("the server's host key does not match host_key")

// ErrAuth is what Create wraps when the server refused the user's key and
// password.
var ErrAuth = errors.New("the server refused the credentials")

// classifyDial classifies a failed connect: refused, reset, timed out and
// a handshake cut short are transient (the server may be restarting); a
// host key mismatch is permanent; refused credentials are fault.Auth
// (the run reloads the secret once, then gives up). No message quotes a
// credential.
func classifyDial(addr string, err error) error {
	switch {
	case errors.Is(err, ErrHostKeyMismatch):
		return fault.Wrap(fault.Permanent, fmt.Errorf("sftp %s: %w", addr, ErrHostKeyMismatch))
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return fault.Wrap(fault.Auth, fmt.Errorf("sftp %s: %w", addr, ErrAuth))
	case strings.Contains(err.Error(), "ssh: handshake failed: ssh: no common algorithm for host key"):
		return fault.Wrap(fault.Permanent, fmt.Errorf("sftp %s: the server has no host key of host_key's type: %w", addr, ErrHostKeyMismatch))
	}
	return fault.Wrap(fault.Transient, fmt.Errorf("sftp connect %s: %w", addr, err))
}

// lostConnection reports whether err means the SSH connection is gone, so
// a new one may succeed where this one failed.
func lostConnection(err error) bool {
	var ne net.Error
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// classify classifies a failed SFTP request: a lost connection and the
// server's generic failure (a full disk, say) are transient; denied
// access, a missing directory and an unsupported operation are permanent.
func classify(op, p string, err error) error {
	werr := fmt.Errorf("sftp %s %s: %w", op, p, err)
	if lostConnection(err) {
		return fault.Wrap(fault.Transient, werr)
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case sftp.ErrSSHFxFailure, sftp.ErrSSHFxBadMessage:
			return fault.Wrap(fault.Transient, werr)
		}
		return fault.Wrap(fault.Permanent, werr)
	}
	if errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrExist) {
		return fault.Wrap(fault.Permanent, werr)
	}
	return fault.Wrap(fault.Transient, werr)
}
