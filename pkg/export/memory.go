package export

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
)

// Memory is an in-memory Destination for tests: committed files by name.
type Memory struct {
	mu    sync.Mutex
	files map[string][]byte
	open  int
}

var _ Destination = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{files: map[string][]byte{}} }

// Create starts name; it replaces a committed file of that name on Commit.
func (m *Memory) Create(ctx context.Context, name string) (Object, error) {
	if name == "" {
		return nil, errors.New("memory: empty name")
	}
	m.mu.Lock()
	m.open++
	m.mu.Unlock()
	return &memoryObject{m: m, name: name}, nil
}

// File is the committed file name and whether it exists.
func (m *Memory) File(name string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	return b, ok
}

// Names lists the committed files, sorted.
func (m *Memory) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.files))
}

// Open is the number of objects neither committed nor aborted.
func (m *Memory) Open() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.open
}

type memoryObject struct {
	m    *Memory
	name string
	buf  bytes.Buffer
	done bool
}

func (o *memoryObject) Write(p []byte) (int, error) {
	if o.done {
		return 0, errors.New("memory: write after commit or abort")
	}
	return o.buf.Write(p)
}

func (o *memoryObject) Commit(ctx context.Context) (int64, error) {
	if o.done {
		return 0, errors.New("memory: commit after commit or abort")
	}
	o.done = true
	o.m.mu.Lock()
	defer o.m.mu.Unlock()
	o.m.files[o.name] = o.buf.Bytes()
	o.m.open--
	return int64(o.buf.Len()), nil
}

func (o *memoryObject) Abort(ctx context.Context) error {
	if o.done {
		return nil
	}
	o.done = true
	o.m.mu.Lock()
	o.m.open--
	o.m.mu.Unlock()
	return nil
}
