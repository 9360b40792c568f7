// Package slapd runs a throwaway OpenLDAP server for tests: one slapd per
// Start, on a free loopback port, with a configuration and an mdb database
// in t.TempDir(), the base entries dc=example,dc=test and
// ou=people,dc=example,dc=test already added, StartTLS offered with a
// throwaway certificate for 127.0.0.1 (CACertPEM is its CA), and the
// process killed in t.Cleanup. It needs the Debian slapd package (.ci/run installs it); it
// skips under -short and fails with a clear message when slapd is missing.
//
// Use it from tests only:
//
//	srv := slapd.Start(t)
//	conn, _ := ldap.DialURL(srv.URL())
//	_ = conn.Bind(slapd.AdminDN, slapd.AdminPassword)
package slapd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/tail"
)

// The directory every server holds. AdminDN binds as the rootdn, which no
// ACL restricts.
const (
	BaseDN        = "dc=example,dc=test"
	PeopleDN      = "ou=people," + BaseDN
	AdminDN       = "cn=admin," + BaseDN
	AdminPassword = "secret"
)

// Binary is the slapd that Start runs.
var Binary = "/usr/sbin/slapd"

const (
	readyTimeout  = 15 * time.Second
	startAttempts = 3
)

// schemas are loaded in this order (each depends on the ones before it).
var schemas = []string{"core", "cosine", "nis", "inetorgperson"}

// Server is a running slapd.
type Server struct {
	dir   string
	port  int
	proc  *process
	caPEM []byte
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    *tail.Buffer
}

// Start runs a fresh slapd for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("slapd tests skipped under -short")
	}
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("slapd not found at %s: install the Debian packages slapd and ldap-utils "+
			"(echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections; "+
			"apt-get install -y slapd ldap-utils), or use -short to skip", Binary)
	}
	s := &Server{dir: t.TempDir()}
	if err := s.writeTLS(); err != nil {
		t.Fatalf("slapd: certificate: %v", err)
	}
	if err := s.writeConfig(); err != nil {
		t.Fatalf("slapd: %v", err)
	}
	var errs []error
	for range startAttempts { // a free port can be taken between probe and bind
		port, err := freePort()
		if err != nil {
			t.Fatalf("slapd: %v", err)
		}
		s.port = port
		if err = s.launch(); err == nil {
			break
		}
		errs = append(errs, err)
	}
	if s.proc == nil {
		t.Fatalf("start slapd: %v", errors.Join(errs...))
	}
	t.Cleanup(s.Stop)
	if err := s.addBase(); err != nil {
		t.Fatalf("slapd: add base entries: %v", err)
	}
	return s
}

// URL is the server's address, e.g. ldap://127.0.0.1:38901.
func (s *Server) URL() string { return "ldap://127.0.0.1:" + strconv.Itoa(s.port) }

// Stop kills slapd and waits for it to exit. The database stays, so
// Restart brings back the same entries. Stopping twice is harmless.
func (s *Server) Stop() {
	if s.proc == nil {
		return
	}
	select {
	case <-s.proc.exited:
	default:
		_ = s.proc.cmd.Process.Kill()
		<-s.proc.exited
	}
	s.proc = nil
}

// Restart stops slapd and starts it again on the same port with the same
// database, so clients holding a connection see it drop.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("restart slapd: %v", err)
	}
}

// Log is what slapd wrote to stdout and stderr (its last 16 KiB).
func (s *Server) Log() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.log.String()
}

func (s *Server) writeConfig() error {
	data := filepath.Join(s.dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return err
	}
	var b strings.Builder
	for _, name := range schemas {
		fmt.Fprintf(&b, "include /etc/ldap/schema/%s.schema\n", name)
	}
	fmt.Fprintf(&b, "pidfile %s\n", filepath.Join(s.dir, "slapd.pid"))
	for directive, file := range map[string]string{"TLSCACertificateFile": "ca.pem", "TLSCertificateFile": "cert.pem", "TLSCertificateKeyFile": "key.pem"} {
		fmt.Fprintf(&b, "%s %s\n", directive, filepath.Join(s.dir, file))
	}
	b.WriteString("modulepath /usr/lib/ldap\nmoduleload back_mdb\n")
	b.WriteString("database mdb\nmaxsize 104857600\n")
	fmt.Fprintf(&b, "suffix %q\nrootdn %q\nrootpw %s\ndirectory %s\n", BaseDN, AdminDN, AdminPassword, data)
	return os.WriteFile(filepath.Join(s.dir, "slapd.conf"), []byte(b.String()), 0o600)
}

// launch starts slapd in the foreground (-d 0, so its pid is ours to kill)
// on s.port and waits until an admin bind succeeds.
func (s *Server) launch() error {
	p := &process{exited: make(chan struct{}), log: &tail.Buffer{Max: 16 << 10}}
	p.cmd = exec.Command(Binary, "-d", "0", "-f", filepath.Join(s.dir, "slapd.conf"), "-h", s.URL()+"/")
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	p.cmd.SysProcAttr = childProcAttr()
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
		return fmt.Errorf("%w; slapd output:\n%s", err, p.log.String())
	}
	return nil
}

// waitReady dials and binds until it works, slapd exits, or the deadline
// passes.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := s.adminDo(func(*ldap.Conn) error { return nil })
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd at %s not ready after %s: %w", s.URL(), readyTimeout, err)
		}
		select {
		case <-s.proc.exited:
			return fmt.Errorf("slapd exited before it was ready (%v)", s.proc.cmd.ProcessState)
		case <-tick.C:
		}
	}
}

// adminDo runs f on a fresh connection bound as the rootdn.
func (s *Server) adminDo(f func(*ldap.Conn) error) error {
	conn, err := ldap.DialURL(s.URL(), ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetTimeout(5 * time.Second)
	if err := conn.Bind(AdminDN, AdminPassword); err != nil {
		return err
	}
	return f(conn)
}

// Admin runs f on a connection bound as the rootdn, for a test's own
// set-up and checks.
func (s *Server) Admin(t testing.TB, f func(*ldap.Conn) error) {
	t.Helper()
	if err := s.adminDo(f); err != nil {
		t.Fatalf("slapd admin: %v", err)
	}
}

func (s *Server) addBase() error {
	return s.adminDo(func(c *ldap.Conn) error {
		base := ldap.NewAddRequest(BaseDN, nil)
		base.Attribute("objectClass", []string{"dcObject", "organization"})
		base.Attribute("o", []string{"Example"})
		base.Attribute("dc", []string{"example"})
		if err := c.Add(base); err != nil {
			return err
		}
		people := ldap.NewAddRequest(PeopleDN, nil)
		people.Attribute("objectClass", []string{"organizationalUnit"})
		people.Attribute("ou", []string{"people"})
		return c.Add(people)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
