package sshd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestSFTPRoundTripInRoot(t *testing.T) {
	srv := Start(t)
	c := srv.SFTP(t)
	f, err := c.Create("hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(srv.Root(), "hello.txt"))
	if err != nil || string(got) != "hi" {
		t.Fatalf("file in root: %q, %v", got, err)
	}
	for _, ext := range []string{"posix-rename@openssh.com", "fsync@openssh.com"} {
		if _, ok := c.HasExtension(ext); !ok {
			t.Errorf("server does not offer %s", ext)
		}
	}
}

func TestOnlyTheUserKeyAndOnlySFTP(t *testing.T) {
	srv := Start(t)
	cfg := srv.ClientConfig()
	other := Start(t) // another server's user key is a stranger here
	cfg.Auth = other.ClientConfig().Auth
	if conn, err := ssh.Dial("tcp", srv.Addr(), cfg); err == nil {
		conn.Close()
		t.Fatal("a stranger's key logged in")
	}
	conn, err := ssh.Dial("tcp", srv.Addr(), srv.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out bytes.Buffer
	sess.Stdout = &out
	// ForceCommand runs internal-sftp, which does not run shell commands.
	_ = sess.Run("echo shell")
	if bytes.Contains(out.Bytes(), []byte("shell")) {
		t.Fatal("sshd ran a shell command")
	}
}

func TestStopDropsSessionsAndRestartServesTheSameFiles(t *testing.T) {
	srv := Start(t)
	if err := os.WriteFile(filepath.Join(srv.Root(), "kept"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := srv.SFTP(t)
	if _, err := c.Stat("kept"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := c.Stat("kept"); err == nil {
		t.Fatal("a session outlived Stop")
	}
	addr, key := srv.Addr(), srv.HostKey()
	srv.Restart(t)
	if srv.Addr() != addr || srv.HostKey() != key {
		t.Fatalf("restart moved: %s %s", srv.Addr(), srv.HostKey())
	}
	f, err := srv.SFTP(t).Open("kept")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "x" {
		t.Fatalf("after restart: %q, %v", b, errors.Join(err))
	}
}
