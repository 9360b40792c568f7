package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/profilesync/profilesync/pkg/delivery"
)

func TestBodiesPutGet(t *testing.T) {
	ctx := context.Background()
	b := Bodies{Dir: t.TempDir()}
	if err := b.Put(ctx, "salesforce/abc123", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "salesforce/abc123", []byte("body")); err != nil { // a resend overwrites
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "salesforce/abc123")
	if err != nil || string(got) != "body" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := b.Get(ctx, "salesforce/nothing"); !errors.Is(err, delivery.ErrNotStored) {
		t.Fatalf("missing key: %v, want ErrNotStored", err)
	}
	left, _ := filepath.Glob(filepath.Join(b.Dir, "salesforce", ".put-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestBodiesRefuseKeysOutsideDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := Bodies{Dir: filepath.Join(dir, "bodies")}
	for _, key := range []string{"../escape", "/etc/passwd", "a/../../b", "", "a//b", `a\b`} {
		if err := b.Put(ctx, key, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", key)
		}
		if _, err := b.Get(ctx, key); err == nil {
			t.Errorf("Get(%q) accepted", key)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Error("a key wrote outside Dir")
	}
}
