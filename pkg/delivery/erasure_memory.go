package delivery

import (
	"context"
	"sync"
)

// MemoryErasures is an in-memory ErasureLedger for tests: Open keeps the
// first request of each (subject, target, event) as the stores do, and
// counts its calls. Fail, when set, is returned by Open and nothing is
// kept.
type MemoryErasures struct {
	mu    sync.Mutex
	m     map[[3]string]Erasure
	order [][3]string
	calls int
	Fail  error
}

var _ ErasureLedger = (*MemoryErasures)(nil)

// Open records es as pending, leaving any already recorded.
func (l *MemoryErasures) Open(_ context.Context, es []Erasure) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.Fail != nil {
		return l.Fail
	}
	if l.m == nil {
		l.m = map[[3]string]Erasure{}
	}
	for _, e := range es {
		k := [3]string{e.Subject, e.Target, e.EventID}
		if _, ok := l.m[k]; ok {
			continue
		}
		e.Status = ErasurePending
		l.m[k] = e
		l.order = append(l.order, k)
	}
	return nil
}

// All returns every erasure recorded, in the order first opened.
func (l *MemoryErasures) All() []Erasure {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Erasure, 0, len(l.order))
	for _, k := range l.order {
		out = append(out, l.m[k])
	}
	return out
}

// Calls is how many times Open was called (a batch of deletes is one).
func (l *MemoryErasures) Calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}
