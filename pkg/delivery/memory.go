package delivery

import (
	"context"
	"sync"
)

// MemoryState is an in-memory StateStore for tests and one-shot invokes.
type MemoryState struct {
	mu sync.Mutex
	m  map[[2]string]State
}

var _ StateStore = (*MemoryState)(nil)

func (s *MemoryState) Get(_ context.Context, target, subject string) (State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[[2]string{target, subject}]
	return st, ok, nil
}

func (s *MemoryState) Put(_ context.Context, target, subject string, st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[2]string]State{}
	}
	s.m[[2]string{target, subject}] = st
	return nil
}
