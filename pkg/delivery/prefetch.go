package delivery

import (
	"context"
	"sync"
)

// BatchStateReader is a StateStore that reads many subjects' states in one
// request (DynamoDB's BatchGetItem, pkg/awsadapter). The handler reads a
// queue batch's states with it once, instead of one read per message: on
// AWS each read is a billed request. Optional: stores without it are read
// one subject at a time.
type BatchStateReader interface {
	// GetMany returns the states found for subjects of target, keyed by
	// subject; a subject without state is absent. The reads are as
	// consistent as Get's.
	GetMany(ctx context.Context, target string, subjects []string) (map[string]State, error)
}

// prefetched holds a batch's states read ahead. Each entry serves one read
// only, the first of its subject: any later event of that subject in the
// batch reads the store, so it sees the state the earlier one left.
type prefetched struct {
	mu     sync.Mutex
	target string
	states map[string]State // found
	absent map[string]bool  // read, and not found
	served map[string]servedState
}

// servedState is a prefetched read served already.
type servedState struct {
	st    State
	found bool
}

type prefetchKey struct{}

// prefetch reads the states of subjects (a locked batch's) with one
// GetMany when the store has it and there is more than one to read, and
// returns ctx carrying them for readState. A failed read is logged and
// left to the per-message reads, which report their own errors.
func (h *Handler) prefetch(ctx context.Context, subjects []string) context.Context {
	r, ok := h.State.(BatchStateReader)
	if !ok {
		return ctx
	}
	distinct := make([]string, 0, len(subjects))
	seen := make(map[string]bool, len(subjects))
	for _, s := range subjects {
		if !seen[s] {
			seen[s] = true
			distinct = append(distinct, s)
		}
	}
	if len(distinct) < 2 {
		return ctx
	}
	states, err := r.GetMany(ctx, h.Target, distinct)
	if err != nil {
		h.log().Warn("batch state read failed; reading per message", "target", h.Target,
			"subjects", len(distinct), "error", err.Error())
		return ctx
	}
	p := &prefetched{target: h.Target, states: states, absent: make(map[string]bool, len(distinct)),
		served: make(map[string]servedState, len(distinct))}
	for _, s := range distinct {
		if _, found := states[s]; !found {
			p.absent[s] = true
		}
	}
	return context.WithValue(ctx, prefetchKey{}, p)
}

// take returns and forgets subject's prefetched state; ok is false when
// there is none to serve (never read, or served already).
func (p *prefetched) take(target, subject string) (st State, found, ok bool) {
	if p == nil || p.target != target {
		return State{}, false, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, found := p.states[subject]; found {
		delete(p.states, subject)
		p.served[subject] = servedState{st, true}
		return st, true, true
	}
	if p.absent[subject] {
		delete(p.absent, subject)
		p.served[subject] = servedState{}
		return State{}, false, true
	}
	return State{}, false, false
}

// restore makes subject's served state readable once more. The batch
// calls it before it prepares again a subject's first event that it
// prepared and then deferred (a delete or an opt-out): nothing has
// written that subject since.
func (p *prefetched) restore(subject string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.served[subject]
	if !ok {
		return
	}
	delete(p.served, subject)
	if s.found {
		p.states[subject] = s.st
	} else {
		p.absent[subject] = true
	}
}

// restoreState is restore on ctx's prefetched states, if any.
func restoreState(ctx context.Context, subject string) {
	p, _ := ctx.Value(prefetchKey{}).(*prefetched)
	p.restore(subject)
}

// readState is State.Get, served from the batch's prefetched states when
// the subject's first read was done ahead.
func (h *Handler) readState(ctx context.Context, subject string) (State, bool, error) {
	p, _ := ctx.Value(prefetchKey{}).(*prefetched)
	if st, found, ok := p.take(h.Target, subject); ok {
		return st, found, nil
	}
	return h.State.Get(ctx, h.Target, subject)
}

var _ BatchStateReader = (*MemoryState)(nil)

// GetMany implements BatchStateReader.
func (s *MemoryState) GetMany(_ context.Context, target string, subjects []string) (map[string]State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]State, len(subjects))
	for _, sub := range subjects {
		if st, ok := s.m[[2]string{target, sub}]; ok {
			out[sub] = st
		}
	}
	return out, nil
}
