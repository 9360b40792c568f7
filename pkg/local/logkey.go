package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LogKeyFile holds the local stack's sync-log key (delivery.Handler.LogKey)
// in its data directory, the twin of the deployment's sync-log secret.
const LogKeyFile = "synclog.key"

// LogKey returns the sync-log key of the data directory dir, generating
// it on first use: 32 random bytes, hex, readable by the owner only. It
// stays for the directory's life, so fingerprints in the state and the log
// keep comparing equal.
func LogKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, LogKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sync-log key: %w", err)
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("sync-log key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LogKey(dir) // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("sync-log key: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(raw) + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return nil, fmt.Errorf("sync-log key %s: %w", path, err)
		}
		return raw, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sync-log key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("sync-log key %s: want at least 16 bytes in hex", path)
	}
	return key, nil
}
