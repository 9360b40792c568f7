package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// Bodies keeps the envelopes too large for a queue message as files under
// Dir, one per key: what an S3 bucket is to the Lambdas.
type Bodies struct{ Dir string }

var (
	_ ingress.BodyStore     = Bodies{}
	_ delivery.StoredBodies = Bodies{}
)

// bodyKeyRE admits the keys the ingress makes (<target>/<sha256 hex>) and
// nothing that could leave Dir.
var bodyKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)

// Put writes body under key, atomically: a reader sees all of it or none.
func (b Bodies) Put(_ context.Context, key string, body []byte) error {
	path, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store body %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return fmt.Errorf("store body %s: %w", key, err)
	}
	_, err = tmp.Write(body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store body %s: %w", key, err)
	}
	return nil
}

// Get reads the body stored under key.
func (b Bodies) Get(_ context.Context, key string) ([]byte, error) {
	path, err := b.path(key)
	if err != nil {
		return nil, err
	}
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read body %s: %w", key, delivery.ErrNotStored)
	}
	if err != nil {
		return nil, fmt.Errorf("read body %s: %w", key, err)
	}
	return body, nil
}

func (b Bodies) path(key string) (string, error) {
	if !bodyKeyRE.MatchString(key) {
		return "", fmt.Errorf("body key %q: want <target>/<digest>", key)
	}
	return filepath.Join(b.Dir, filepath.FromSlash(key)), nil
}
