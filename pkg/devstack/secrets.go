package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// URLVar in a secret file stands for the local stack's base URL, so the
// files keep working when the stack moves to another port.
const URLVar = "${PROFILESYNC_URL}"

// FileSecrets reads secrets from <Dir>/<name>.json, the local twin of
// Secrets Manager. Pointing a target at the real system is an edit here.
type FileSecrets struct {
	Dir     string
	BaseURL string // replaces URLVar
}

// Secret returns one secret's JSON.
func (s FileSecrets) Secret(_ context.Context, name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("bad secret name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret %q: no file %s: %w", name, filepath.Join(s.Dir, name+".json"), err)
	}
	if err != nil {
		return nil, err
	}
	return []byte(strings.ReplaceAll(string(b), URLVar, s.BaseURL)), nil
}

// WriteDevSecrets writes the sandbox's development secret for every name
// that has no file yet, and leaves existing files alone. It returns the
// names it wrote.
func WriteDevSecrets(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var wrote []string
	for name, raw := range sandbox.DevSecrets(URLVar) {
		path := filepath.Join(dir, name+".json")
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.WriteFile(path, append(raw, '\n'), 0o600); err != nil {
			return nil, err
		}
		wrote = append(wrote, name)
	}
	sort.Strings(wrote)
	return wrote, nil
}

// MemorySecrets serves the sandbox's development secrets for base from
// memory (tests, one-shot invokes).
type MemorySecrets map[string]json.RawMessage

// Secret returns one secret's JSON.
func (m MemorySecrets) Secret(_ context.Context, name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("secret %q not found", name)
	}
	return b, nil
}
