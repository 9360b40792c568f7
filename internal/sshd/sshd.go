// Package sshd runs a throwaway OpenSSH server for tests: one sshd per
// Start, on a free loopback port, with a throwaway ed25519 host key, a
// throwaway ed25519 user key for the current user (the only key and the
// only user it accepts), and nothing but SFTP: internal-sftp, whose
// relative paths start in Root(), a directory in t.TempDir(). The
// process and every session it forked are killed in t.Cleanup.
//
// It needs Debian's openssh-server (scripts/test-deps installs it); it
// skips under -short and fails with a clear message when sshd is missing.
// It never touches the system's sshd service or /etc/ssh; as root it
// creates /run/sshd, the empty privilege-separation directory sshd
// insists on, when that is missing.
//
// Use it from tests only:
//
//	srv := sshd.Start(t)
//	c := srv.SFTP(t) // an independent client, for a test's checks
//	_ = srv.HostKey() // authorized_keys line the client pins
package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/profilesync/profilesync/internal/tail"
)

// Binary is the sshd that Start runs. sshd re-executes itself, so it must
// be an absolute path.
var Binary = "/usr/sbin/sshd"

// privsepDir is the directory sshd refuses to start without when it runs
// as root (Debian's service creates it at boot; nothing here did).
const privsepDir = "/run/sshd"

const (
	readyTimeout  = 15 * time.Second
	startAttempts = 3
)

// Server is a running sshd.
type Server struct {
	dir     string
	root    string
	port    int
	user    string
	hostKey ssh.Signer
	userKey ssh.Signer
	userPEM []byte
	proc    *process
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    *tail.Buffer
}

// Start runs a fresh sshd for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("sshd tests skipped under -short")
	}
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("sshd not found at %s: install the Debian package openssh-server "+
			"(apt-get install -y openssh-server; scripts/test-deps does), or use -short to skip", Binary)
	}
	s := &Server{dir: t.TempDir()}
	if err := s.prepare(); err != nil {
		t.Fatalf("sshd: %v", err)
	}
	var errs []error
	for range startAttempts { // a free port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			t.Fatalf("sshd: %v", err)
		}
		s.port = port
		if err = s.launch(); err == nil {
			break
		}
		errs = append(errs, err)
	}
	if s.proc == nil {
		t.Fatalf("start sshd: %v", errors.Join(errs...))
	}
	t.Cleanup(s.Stop)
	return s
}

// Host is the address sshd listens on, always 127.0.0.1.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is sshd's port.
func (s *Server) Port() int { return s.port }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// User is the only user sshd lets in: the one running the test.
func (s *Server) User() string { return s.user }

// UserKeyPEM is the user's private key in OpenSSH PEM form, unencrypted.
func (s *Server) UserKeyPEM() string { return string(s.userPEM) }

// HostKey is the server's public host key as an authorized_keys line
// ("ssh-ed25519 AAAA…").
func (s *Server) HostKey() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.hostKey.PublicKey())))
}

// Root is the local directory SFTP's relative paths start in, so a test
// can check what arrived on the file system.
func (s *Server) Root() string { return s.root }

// Log is what sshd wrote to stderr (its last 16 KiB).
func (s *Server) Log() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.log.String()
}

// ClientConfig logs in as User with the user key and pins HostKey.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.userKey)},
		HostKeyCallback: ssh.FixedHostKey(s.hostKey.PublicKey()),
		Timeout:         5 * time.Second,
	}
}

// SFTP is an SFTP client of its own, closed when t ends, for a test's
// set-up and checks.
func (s *Server) SFTP(t testing.TB) *sftp.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", s.Addr(), s.ClientConfig())
	if err != nil {
		t.Fatalf("sshd: dial: %v\nsshd output:\n%s", err, s.Log())
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		t.Fatalf("sshd: sftp: %v\nsshd output:\n%s", err, s.Log())
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// Stop kills sshd and every session it forked (sessions outlive a killed
// listener otherwise), so connected clients see the server go away.
// Root keeps its files, so Restart serves them again. Stopping twice is
// harmless.
func (s *Server) Stop() {
	if s.proc == nil {
		return
	}
	select {
	case <-s.proc.exited:
	default:
		killTree(s.proc.cmd.Process)
		<-s.proc.exited
	}
	s.proc = nil
}

// Restart stops sshd and starts it again on the same port with the same
// keys and files.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("restart sshd: %v", err)
	}
}

// prepare writes the keys, the authorized_keys file and the root
// directory; the config is written per port by launch.
func (s *Server) prepare() error {
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("current user: %w", err)
	}
	s.user = u.Username
	if os.Geteuid() == 0 {
		if err := os.MkdirAll(privsepDir, 0o755); err != nil {
			return fmt.Errorf("privilege separation directory: %w", err)
		}
	}
	s.root = filepath.Join(s.dir, "root")
	if err := os.Mkdir(s.root, 0o755); err != nil {
		return err
	}
	hostPEM, host, err := newKey("sshd test host")
	if err != nil {
		return err
	}
	s.userPEM, s.userKey, err = newKey("sshd test user")
	if err != nil {
		return err
	}
	s.hostKey = host
	if err := os.WriteFile(filepath.Join(s.dir, "host_ed25519"), hostPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "authorized_keys"), ssh.MarshalAuthorizedKey(s.userKey.PublicKey()), 0o600)
}

// newKey makes an ed25519 key, returning it as OpenSSH PEM and as a signer.
func newKey(comment string) ([]byte, ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(block), signer, nil
}

// config lets only s.user in, only with the user key, only for SFTP.
// StrictModes is off because the files live under /tmp, which is world
// writable; the files themselves are 0600.
func (s *Server) config() string {
	lines := []string{
		"ListenAddress " + s.Addr(),
		"HostKey " + filepath.Join(s.dir, "host_ed25519"),
		"PidFile " + filepath.Join(s.dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(s.dir, "authorized_keys"),
		"AllowUsers " + s.user,
		"AuthenticationMethods publickey",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AllowTcpForwarding no",
		"AllowAgentForwarding no",
		"X11Forwarding no",
		"PermitTTY no",
		"UseDNS no",
		"LogLevel VERBOSE",
		"Subsystem sftp internal-sftp -d " + s.root,
		"ForceCommand internal-sftp -d " + s.root,
	}
	return strings.Join(lines, "\n") + "\n"
}

// launch starts sshd in the foreground (-D, logging to stderr with -e) on
// s.port and waits until a client logs in.
func (s *Server) launch() error {
	conf := filepath.Join(s.dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(s.config()), 0o600); err != nil {
		return err
	}
	p := &process{exited: make(chan struct{}), log: &tail.Buffer{Max: 16 << 10}}
	p.cmd = exec.Command(Binary, "-D", "-e", "-f", conf)
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	p.cmd.SysProcAttr = childProcAttr()
	// Sessions inherit stderr; if one outlived Stop, Wait would block on
	// the pipe until it ended.
	p.cmd.WaitDelay = time.Second
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	s.proc = p
	if err := s.waitReady(); err != nil {
		s.Stop()
		return fmt.Errorf("%w; sshd output:\n%s", err, p.log.String())
	}
	return nil
}

// waitReady logs in until it works, sshd exits, or the deadline passes.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := ssh.Dial("tcp", s.Addr(), s.ClientConfig())
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd at %s not ready after %s: %w", s.Addr(), readyTimeout, err)
		}
		select {
		case <-s.proc.exited:
			return fmt.Errorf("sshd exited before it was ready (%v)", s.proc.cmd.ProcessState)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
