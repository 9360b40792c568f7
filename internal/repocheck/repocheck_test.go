// Package repocheck holds tests about the repository itself rather than
// any package: what may be committed.
package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTracked is the largest file the repository may track outside
// testdata (the SAM schema there is 0.75 MB).
const maxTracked = 1 << 20

// Build outputs do not belong in git: a 40 MB CLI binary once sat at the
// repository root. Every tracked file is text or a small asset, and none
// outside a testdata directory is over 1 MB.
func TestNoBinariesOrLargeFilesTracked(t *testing.T) {
	root := moduleRoot(t)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; is this a checkout?", len(files))
	}
	for _, f := range files {
		path := filepath.Join(root, f)
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		if problem := check(f, path, info); problem != "" {
			t.Errorf("%s: %s", f, problem)
		}
	}
}

// check says what is wrong with one tracked file, or "".
func check(name, path string, info os.FileInfo) string {
	head := make([]byte, 4096)
	fh, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	n, _ := fh.Read(head)
	fh.Close()
	head = head[:n]
	if isExecutable(head) {
		return "an executable binary (build outputs are ignored, not committed)"
	}
	if info.Size() > maxTracked && !inTestdata(name) {
		return "larger than 1 MB outside testdata"
	}
	return ""
}

// isExecutable recognises ELF, Mach-O, PE and WebAssembly by their magic.
func isExecutable(head []byte) bool {
	for _, magic := range [][]byte{
		{0x7f, 'E', 'L', 'F'},
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
		{0xca, 0xfe, 0xba, 0xbe},
		{'M', 'Z'},
		{0x00, 'a', 's', 'm'},
	} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return false
}

func inTestdata(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if part == "testdata" {
			return true
		}
	}
	return false
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// The checks themselves catch what they are for.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) (string, os.FileInfo) {
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(p)
		return p, info
	}
	big := bytes.Repeat([]byte("x"), maxTracked+1)
	for _, tc := range []struct {
		name  string
		body  []byte
		wrong bool
	}{
		{"profilesync", append([]byte{0x7f, 'E', 'L', 'F'}, make([]byte, 64)...), true},
		{"tool.exe", []byte("MZ\x90\x00"), true},
		{"big.json", big, true},
		{"pkg/x/testdata/big.json", big, false},
		{"script.sh", []byte("#!/bin/sh\necho ok\n"), false},
		{"main.go", []byte("package main\n"), false},
	} {
		p, info := write(tc.name, tc.body)
		if got := check(tc.name, p, info) != ""; got != tc.wrong {
			t.Errorf("%s: flagged %v, want %v", tc.name, got, tc.wrong)
		}
	}
}
