package jobs

import (
	"context"
	"sync"
	"time"
)

// MemoryCheckpoints keeps checkpoints in memory (tests, one-shot runs).
type MemoryCheckpoints struct {
	mu      sync.Mutex
	current map[string]Checkpoint
	last    map[string]Checkpoint
	saves   int
	leases  map[string]lease
}

var _ Checkpoints = (*MemoryCheckpoints)(nil)

// NewMemoryCheckpoints returns an empty store.
func NewMemoryCheckpoints() *MemoryCheckpoints {
	return &MemoryCheckpoints{current: map[string]Checkpoint{}, last: map[string]Checkpoint{}}
}

func (m *MemoryCheckpoints) Current(_ context.Context, job string) (*Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.current[job]
	if !ok {
		return nil, nil
	}
	c.Files = append([]File(nil), c.Files...)
	return &c, nil
}

func (m *MemoryCheckpoints) Save(_ context.Context, c Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves++
	c.Files = append([]File(nil), c.Files...)
	if c.Done {
		m.last[c.Job] = c
		delete(m.current, c.Job)
		return nil
	}
	m.current[c.Job] = c
	return nil
}

func (m *MemoryCheckpoints) Last(_ context.Context, job string) (*Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.last[job]
	if !ok {
		return nil, nil
	}
	return &c, nil
}

type lease struct {
	holder string
	until  time.Time
}

var _ Leases = (*MemoryCheckpoints)(nil)

// Acquire implements Leases.
func (m *MemoryCheckpoints) Acquire(_ context.Context, job, holder string, until, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases == nil {
		m.leases = map[string]lease{}
	}
	l, ok := m.leases[job]
	if ok && l.holder != holder && now.Before(l.until) {
		return false, nil
	}
	m.leases[job] = lease{holder: holder, until: until}
	return true, nil
}

// Release implements Leases.
func (m *MemoryCheckpoints) Release(_ context.Context, job, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[job]; ok && l.holder == holder {
		delete(m.leases, job)
	}
	return nil
}
