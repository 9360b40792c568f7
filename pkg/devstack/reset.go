package devstack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/profilesync/profilesync/pkg/local"
)

// SandboxDir is where the local stack keeps what the sandbox fakes hold,
// one JSON file per fake.
func SandboxDir(dataDir string) string { return filepath.Join(dataDir, "sandbox") }

// ResetItem is one thing Reset removes from a data directory.
type ResetItem struct {
	Path string // relative to the data directory
	What string
}

// ResetItems is what Reset removes, in the order it removes it: the
// database (queues, DLQs, sync state, notices), the sandbox's records and
// the stored oversized bodies, and with secrets the secret files (which
// `profilesync dev` writes again, pointing at the sandbox, on its next
// start).
func ResetItems(secrets bool) []ResetItem {
	items := []ResetItem{
		{local.DBFile, "the queues and dead-letter queues, the sync state, the notices"},
		{local.DBFile + "-wal", "(the database's write-ahead log)"},
		{local.DBFile + "-shm", "(the database's shared memory)"},
		{"sandbox", "what the sandbox fakes hold (back-end records, cidaas users)"},
		{"bodies", "the stored webhook bodies too large for a queue message"},
	}
	if secrets {
		items = append(items, ResetItem{"secrets", "the source and target secrets"})
	}
	return items
}

// Reset removes ResetItems(secrets) from dataDir and returns those that
// were there. The stack must not be running on dataDir.
func Reset(dataDir string, secrets bool) ([]ResetItem, error) {
	var removed []ResetItem
	for _, it := range ResetItems(secrets) {
		p := filepath.Join(dataDir, it.Path)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return removed, fmt.Errorf("reset %s: %w", p, err)
		}
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("reset %s: %w", p, err)
		}
		removed = append(removed, it)
	}
	return removed, nil
}
