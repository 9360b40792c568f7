package dirdest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/dirdest"
)

func entries(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestCommitRenamesIntoPlace(t *testing.T) {
	root := t.TempDir()
	d, err := dirdest.New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	o, err := d.Create(ctx, "2026-12-02/part-00001.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Write([]byte("a,b\r\n")); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(root, "2026-12-02", "part-00001.csv")
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Errorf("file visible before commit: %v", err)
	}
	n, err := o.Commit(ctx)
	if err != nil || n != 5 {
		t.Fatalf("commit %d, %v", n, err)
	}
	b, err := os.ReadFile(final)
	if err != nil || string(b) != "a,b\r\n" {
		t.Errorf("read %q, %v", b, err)
	}
	if got := entries(t, root); len(got) != 1 {
		t.Errorf("files %v, want only the committed one", got)
	}
	if err := o.Abort(ctx); err != nil {
		t.Errorf("abort after commit: %v", err)
	}
	if _, err := os.Stat(final); err != nil {
		t.Errorf("abort after commit removed the file: %v", err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	d, _ := dirdest.New(root)
	ctx := t.Context()
	o, err := d.Create(ctx, "x/part.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("{}\n"))
	if err := o.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, root); len(got) != 0 {
		t.Errorf("abort left %v", got)
	}
}

func TestNames(t *testing.T) {
	d, _ := dirdest.New(t.TempDir())
	for _, name := range []string{"../escape.csv", "/abs.csv", "", "a/../../b"} {
		if _, err := d.Create(t.Context(), name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, err := dirdest.New(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing root accepted")
	}
}

// A whole export through Segment: a replaced segment and a manifest.
func TestSegmentAndManifest(t *testing.T) {
	root := t.TempDir()
	d, _ := dirdest.New(root)
	ctx := context.Background()
	f := export.Format{Type: export.CSV, Gzip: true}
	// A first attempt dies mid-segment (aborted), a second one completes.
	s, err := export.NewSegment(ctx, d, "run/part-00001"+f.Extension(), f, []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]any{"1"})
	s.Abort(ctx)
	s, _ = export.NewSegment(ctx, d, "run/part-00001"+f.Extension(), f, []string{"id"})
	s.Write([]any{"1"})
	s.Write([]any{"2"})
	info, err := s.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := export.Manifest{Export: "e", Run: "run", Format: f, Columns: []string{"id"}, Files: []export.SegmentInfo{info}, Rows: 2, Complete: true}
	if err := export.WriteManifest(ctx, d, "run/manifest.json", m); err != nil {
		t.Fatal(err)
	}
	got := entries(t, root)
	if len(got) != 2 || got[0] != "run/manifest.json" || got[1] != "run/part-00001.csv.gz" {
		t.Errorf("files %v", got)
	}
	fi, _ := os.Stat(filepath.Join(root, "run", "part-00001.csv.gz"))
	if fi.Size() != info.Bytes || fi.Mode().Perm() != 0o600 {
		t.Errorf("stored %d bytes mode %v, info says %d", fi.Size(), fi.Mode().Perm(), info.Bytes)
	}
}
