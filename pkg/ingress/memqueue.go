package ingress

import (
	"context"
	"sync"
)

// MemoryQueue is an in-memory Queue for tests and benchmarks. Fail, when
// set, is returned by SendBatch for that target and nothing is kept.
type MemoryQueue struct {
	mu   sync.Mutex
	msgs map[string][]Message
	Fail map[string]error
}

var _ Queue = (*MemoryQueue)(nil)

// SendBatch keeps msgs under target.
func (q *MemoryQueue) SendBatch(_ context.Context, target string, msgs []Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.Fail[target]; err != nil {
		return err
	}
	if q.msgs == nil {
		q.msgs = map[string][]Message{}
	}
	q.msgs[target] = append(q.msgs[target], msgs...)
	return nil
}

// Messages returns what target received.
func (q *MemoryQueue) Messages(target string) []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Message(nil), q.msgs[target]...)
}

// Len is the number of messages across every target.
func (q *MemoryQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, m := range q.msgs {
		n += len(m)
	}
	return n
}

// Reset forgets every message.
func (q *MemoryQueue) Reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = nil
}

// MemoryBodies is an in-memory BodyStore for tests. Fail, when set, is
// returned by every Put.
type MemoryBodies struct {
	mu   sync.Mutex
	m    map[string][]byte
	Fail error
}

var _ BodyStore = (*MemoryBodies)(nil)

// Put keeps body under key.
func (b *MemoryBodies) Put(_ context.Context, key string, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Fail != nil {
		return b.Fail
	}
	if b.m == nil {
		b.m = map[string][]byte{}
	}
	b.m[key] = append([]byte(nil), body...)
	return nil
}

// Get returns what Put kept under key.
func (b *MemoryBodies) Get(_ context.Context, key string) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	body, ok := b.m[key]
	return body, ok
}
