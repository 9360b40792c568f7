package sftpdest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/profilesync/profilesync/internal/sshd"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/fault"
)

const testDir = "exports/daily"

func configFor(srv *sshd.Server) Config {
	return Config{Host: srv.Host(), Port: srv.Port(), User: srv.User(),
		PrivateKey: srv.UserKeyPEM(), HostKey: srv.HostKey(), Dir: testDir}
}

func newDest(t *testing.T, cfg Config) *Destination {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func write(t *testing.T, d *Destination, name, body string) export.Object {
	t.Helper()
	o, err := d.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(o, body); err != nil {
		t.Fatal(err)
	}
	return o
}

// files lists the regular files below dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	srv := sshd.Start(t)
	d := newDest(t, configFor(srv))
	const name, body = "2026-12-02/part-00001.csv", "id,plan\n1,gold\n"
	o := write(t, d, name, body)
	local := filepath.Join(srv.Root(), testDir)
	if got := files(t, local); len(got) != 1 || !strings.HasPrefix(got[0], name+".part-") {
		t.Fatalf("before Commit: %v, want only a temporary file", got)
	}
	size, err := o.Commit(context.Background())
	if err != nil || size != int64(len(body)) {
		t.Fatalf("Commit = %d, %v", size, err)
	}
	if got := files(t, local); len(got) != 1 || got[0] != name {
		t.Fatalf("after Commit: %v", got)
	}
	onDisk, err := os.ReadFile(filepath.Join(local, name))
	if err != nil || string(onDisk) != body {
		t.Fatalf("on disk: %q, %v", onDisk, err)
	}
	f, err := srv.SFTP(t).Open(testDir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != body {
		t.Fatalf("over sftp: %q, %v", b, err)
	}
	if err := o.Abort(context.Background()); err != nil || len(files(t, local)) != 1 {
		t.Fatalf("Abort after Commit: %v, files %v", err, files(t, local))
	}
	if _, err := o.Write([]byte("more")); err == nil {
		t.Fatal("Write after Commit succeeded")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	srv := sshd.Start(t)
	d := newDest(t, configFor(srv))
	o := write(t, d, "a/b.ndjson", "{}\n")
	if err := o.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := files(t, srv.Root()); len(got) != 0 {
		t.Fatalf("after Abort: %v", got)
	}
	if _, err := o.Commit(context.Background()); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
}

func TestCommitReplacesAtomically(t *testing.T) {
	for _, posix := range []bool{true, false} {
		name := "posix-rename"
		if !posix {
			name = "remove-then-rename" // servers without the extension
		}
		t.Run(name, func(t *testing.T) {
			srv := sshd.Start(t)
			d := newDest(t, configFor(srv))
			if _, err := write(t, d, "f.csv", "old").Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			final := filepath.Join(srv.Root(), testDir, "f.csv")
			old, err := os.Open(final) // holds the old file's inode
			if err != nil {
				t.Fatal(err)
			}
			defer old.Close()
			o := write(t, d, "f.csv", "new")
			d.conn.posix = posix
			if b, _ := os.ReadFile(final); string(b) != "old" {
				t.Fatalf("before Commit the final name holds %q", b)
			}
			if _, err := o.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(final); string(b) != "new" {
				t.Fatalf("after Commit: %q", b)
			}
			// A rename leaves the old inode whole for whoever had it open;
			// writing in place would not.
			if b, _ := io.ReadAll(old); string(b) != "old" {
				t.Fatalf("the old file was overwritten in place: %q", b)
			}
			if got := files(t, srv.Root()); len(got) != 1 {
				t.Fatalf("files: %v", got)
			}
		})
	}
}

func TestRefusedHostKeyAndCredentials(t *testing.T) {
	srv := sshd.Start(t)
	other := sshd.Start(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	strangerKey := string(ssh.MarshalAuthorizedKey(sshPub))
	tests := []struct {
		name  string
		edit  func(*Config)
		class fault.Class
		is    error
	}{
		{"another host key", func(c *Config) { c.HostKey = strangerKey }, fault.Permanent, ErrHostKeyMismatch},
		{"another server's user key", func(c *Config) { c.PrivateKey = other.UserKeyPEM() }, fault.Auth, ErrAuth},
		{"a wrong password", func(c *Config) { c.PrivateKey, c.Password = "", "not-the-password" }, fault.Auth, ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFor(srv)
			tt.edit(&cfg)
			_, err := newDest(t, cfg).Create(context.Background(), "x.csv")
			if !errors.Is(err, tt.is) || fault.ClassOf(err) != tt.class {
				t.Fatalf("err = %v (class %v), want %v (%v)", err, fault.ClassOf(err), tt.is, tt.class)
			}
			for _, secret := range []string{cfg.PrivateKey, cfg.Password} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Fatal("the error quotes a secret")
				}
			}
		})
	}
	if got := files(t, srv.Root()); len(got) != 0 {
		t.Fatalf("a refused login wrote %v", got)
	}
}

func TestServerDownIsTransient(t *testing.T) {
	srv := sshd.Start(t)
	cfg := configFor(srv)
	srv.Stop()
	_, err := newDest(t, cfg).Create(context.Background(), "x.csv")
	if err == nil || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v (class %v), want transient", err, fault.ClassOf(err))
	}
}

func TestReconnectsAfterTheServerWentAwayMidFile(t *testing.T) {
	srv := sshd.Start(t)
	d := newDest(t, configFor(srv))
	o := write(t, d, "part-1.csv", "half a file")
	srv.Restart(t) // kills the session the object writes on
	if _, err := o.Commit(context.Background()); err == nil || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("Commit on a dead connection: %v (class %v), want transient", err, fault.ClassOf(err))
	}
	if err := o.Abort(context.Background()); err != nil {
		t.Fatalf("Abort (on a new connection): %v", err)
	}
	if got := files(t, srv.Root()); len(got) != 0 {
		t.Fatalf("after Abort: %v", got)
	}
	if _, err := write(t, d, "part-1.csv", "whole").Commit(context.Background()); err != nil {
		t.Fatalf("the next file: %v", err)
	}
	// Once more with a connection the destination has not yet seen die:
	// the first request fails, and Create dials again and retries.
	srv.Restart(t)
	d.conn.gone = make(chan struct{})
	if _, err := write(t, d, "part-2.csv", "whole").Commit(context.Background()); err != nil {
		t.Fatalf("after a second restart: %v", err)
	}
}

// TestLargeFileStreams writes 20 MiB in 64 KiB writes and checks the heap
// never holds anything near the whole file.
func TestLargeFileStreams(t *testing.T) {
	srv := sshd.Start(t)
	d := newDest(t, configFor(srv))
	defer debug.SetGCPercent(debug.SetGCPercent(10)) // keep garbage from hiding in the numbers
	const size, chunk = 20 << 20, 64 << 10
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	o, err := d.Create(context.Background(), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	buf := make([]byte, chunk)
	for i := 0; i < size/chunk; i++ {
		for j := range buf {
			buf[j] = byte(i*7 + j)
		}
		sum.Write(buf)
		if _, err := o.Write(buf); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if n, err := o.Commit(context.Background()); err != nil || n != size {
		t.Fatalf("Commit = %d, %v", n, err)
	}
	if grew := peak - base; grew > 8<<20 {
		t.Errorf("heap grew by %d MiB writing a %d MiB file", grew>>20, size>>20)
	}
	t.Logf("heap grew by at most %.1f MiB", float64(peak-base)/(1<<20))
	f, err := os.Open(filepath.Join(srv.Root(), testDir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := sha256.New()
	if _, err := io.Copy(got, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sum(nil), sum.Sum(nil)) {
		t.Fatal("the file on disk differs from what was written")
	}
}

func TestNewChecksTheSecret(t *testing.T) {
	srv := sshd.Start(t)
	good := configFor(srv)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no host key", func(c *Config) { c.HostKey = "" }, "host_key: required"},
		{"garbled host key", func(c *Config) { c.HostKey = "ssh-ed25519 garbage" }, "host_key: not a public key"},
		{"no credentials", func(c *Config) { c.PrivateKey = "" }, "private_key or password: required"},
		{"garbled key", func(c *Config) {
			c.PrivateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
		}, "private_key: not a PEM"},
		{"no host", func(c *Config) { c.Host = "" }, "host: required"},
		{"bad port", func(c *Config) { c.Port = 70000 }, "port:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatal("the error quotes the key")
			}
		})
	}
	d := newDest(t, good)
	for _, name := range []string{"", "/abs.csv", "../up.csv", "a/../../b.csv", "a//b.csv", "."} {
		if _, err := d.Create(context.Background(), name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
}
