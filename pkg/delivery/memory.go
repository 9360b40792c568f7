package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MemoryState is an in-memory StateStore for tests and one-shot invokes.
// Like the DynamoDB and SQLite stores it refuses state older than what it
// holds, with ErrStaleState.
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
	k := [2]string{target, subject}
	if old, ok := s.m[k]; ok && st.LastEventAt.Before(old.LastEventAt) {
		return fmt.Errorf("put state %s/%s: %w", target, subject, ErrStaleState)
	}
	s.m[k] = st
	return nil
}

// MemoryQueue records what the handler asked of its queue ports: the
// retries it scheduled and the messages it dead-lettered, for tests.
type MemoryQueue struct {
	mu        sync.Mutex
	delays    map[string]time.Duration // receipt handle -> last delay asked
	dead      []DeadMessage
	abandoned []Abandoned
}

// DeadMessage is one message MemoryQueue dead-lettered.
type DeadMessage struct {
	Msg    events.SQSMessage
	Reason Reason
}

var (
	_ Visibility   = (*MemoryQueue)(nil)
	_ DeadLetters  = (*MemoryQueue)(nil)
	_ AbandonedLog = (*MemoryQueue)(nil)
)

func (q *MemoryQueue) ChangeVisibility(_ context.Context, receipt string, d time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.delays == nil {
		q.delays = map[string]time.Duration{}
	}
	q.delays[receipt] = d
	return nil
}

func (q *MemoryQueue) DeadLetter(_ context.Context, msg events.SQSMessage, r Reason) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dead = append(q.dead, DeadMessage{msg, r})
	return nil
}

func (q *MemoryQueue) RecordAbandoned(_ context.Context, a Abandoned) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.abandoned = append(q.abandoned, a)
	return nil
}

// Delay is the last retry delay asked for receipt, and whether one was.
func (q *MemoryQueue) Delay(receipt string) (time.Duration, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	d, ok := q.delays[receipt]
	return d, ok
}

// Dead returns the dead-lettered messages, in order.
func (q *MemoryQueue) Dead() []DeadMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]DeadMessage(nil), q.dead...)
}

// AbandonedRecords returns the abandoned records, in order.
func (q *MemoryQueue) AbandonedRecords() []Abandoned {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Abandoned(nil), q.abandoned...)
}

// MemoryNotifier keeps the notices it is given, one slice per call.
type MemoryNotifier struct {
	mu    sync.Mutex
	calls [][]Notice
	Err   error // returned by every Notify, to test that it is ignored
}

var _ Notifier = (*MemoryNotifier)(nil)

func (n *MemoryNotifier) Notify(_ context.Context, ns []Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, append([]Notice(nil), ns...))
	return n.Err
}

// Calls returns the notices of each Notify call.
func (n *MemoryNotifier) Calls() [][]Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([][]Notice(nil), n.calls...)
}
