package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// A write scope gathers the writes one unit of work makes (one webhook at
// the ingress, one poll of a queue) and commits them as one transaction
// at its end, before the work is acknowledged: the webhook's 2xx, the
// batch's deletes. Fewer commits is most of what the local stack's
// throughput asks of SQLite (issue 17); the guarantees are those of the
// unit: the ingress answers 2xx only once its archive rows and messages
// are committed, and a poll's states, sync log entries and notices
// commit in the transaction that deletes its messages, so a kill before
// it leaves the messages to be delivered again, as a kill between a
// delivery and its state write always has.
//
// Only writes that return nothing but an error are deferred
// (deferWrite); State.Put checks staleness against what the poll knows,
// and Get and GetMany read the scope's puts first, then those of the
// other polls not yet committed (pendingStates), then the database. The
// delivery handler serialises a subject's deliveries only until its batch
// returns, before the poll commits: without the second step, a batch could
// read the older committed state beneath a newer one another batch has
// just delivered, and send an older event after it.
type scope struct {
	db *DB

	mu     sync.Mutex
	fns    []func(*sql.Tx) error
	after  []func()
	states map[stateKey]delivery.State
	// read is what the poll read of the states it has not written: a
	// Put's staleness check starts from it instead of reading again.
	read map[stateKey]readState
	// lost is set when a deferred state write found a newer state (one
	// written after its staleness check): the poll then deletes nothing,
	// and redelivery sorts the messages out against the newer state.
	lost bool
}

type stateKey struct{ target, subject string }

type readState struct {
	st    delivery.State
	found bool
}

type scopeKey struct{}

// withScope returns ctx carrying a new write scope of db.
func (db *DB) withScope(ctx context.Context) (context.Context, *scope) {
	s := &scope{db: db, states: map[stateKey]delivery.State{}, read: map[stateKey]readState{}}
	return context.WithValue(ctx, scopeKey{}, s), s
}

// scopeOf is ctx's write scope of db, if any.
func (db *DB) scopeOf(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	if s == nil || s.db != db {
		return nil
	}
	return s
}

// deferWrite runs fn in a write transaction now, or, in a write scope,
// at the scope's commit (fn must then report only through its error).
func (db *DB) deferWrite(ctx context.Context, fn func(*sql.Tx) error) error {
	if s := db.scopeOf(ctx); s != nil {
		s.mu.Lock()
		s.fns = append(s.fns, fn)
		s.mu.Unlock()
		return nil
	}
	return db.inTx(ctx, fn)
}

// afterCommit runs f now, or after ctx's write scope commits.
func (db *DB) afterCommit(ctx context.Context, f func()) {
	if s := db.scopeOf(ctx); s != nil {
		s.mu.Lock()
		s.after = append(s.after, f)
		s.mu.Unlock()
		return
	}
	f()
}

// commit writes everything the scope gathered, then last (when not nil)
// with whether a deferred state write was lost, in one transaction; then
// it runs the after-commit hooks. With nothing gathered and no last it
// writes nothing.
func (s *scope) commit(ctx context.Context, last func(tx *sql.Tx, lost bool) error) error {
	s.mu.Lock()
	fns, after := s.fns, s.after
	s.fns, s.after = nil, nil
	keys := make([]stateKey, 0, len(s.states))
	for k := range s.states {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	// Committed or not, the writes are no longer pending: the database
	// has them, or the batch comes back.
	defer s.db.pending.release(s, keys)
	if len(fns) == 0 && last == nil {
		runAll(after)
		return nil
	}
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		for _, fn := range fns {
			if err := fn(tx); err != nil {
				return err
			}
		}
		if last == nil {
			return nil
		}
		s.mu.Lock()
		lost := s.lost
		s.mu.Unlock()
		return last(tx, lost)
	})
	if err != nil {
		return err
	}
	runAll(after)
	return nil
}

func runAll(fs []func()) {
	for _, f := range fs {
		f()
	}
}

// state is the scope's pending state of key, if it has one.
func (s *scope) state(key stateKey) (delivery.State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[key]
	return st, ok
}

// known is key's state as the scope knows it, written or read, if it
// does: its own write, else another poll's uncommitted one, else what it
// read.
func (s *scope) known(key stateKey) (st delivery.State, found, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.states[key]; ok {
		return st, true, true
	}
	if st, ok := s.db.pending.get(key); ok {
		return st, true, true
	}
	r, ok := s.read[key]
	return r.st, r.found, ok
}

// noteRead remembers what was read of key.
func (s *scope) noteRead(key stateKey, st delivery.State, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read[key] = readState{st, found}
}

// APIFunc is an API Gateway (HTTP API) Lambda handler.
type APIFunc func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// OneCommit runs each call of h in a write scope of db and commits what it
// wrote before its answer leaves: the ingress's archive rows and messages
// of one webhook in one transaction instead of one each. When the commit
// fails, nothing of the call was kept, and the answer becomes the 503 the
// ingress gives when a queue refuses, so the sender retries.
func OneCommit(db *DB, h APIFunc) APIFunc {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		sctx, sc := db.withScope(ctx)
		resp, err := h(sctx, ev)
		if cerr := sc.commit(ctx, nil); cerr != nil {
			slog.Default().ErrorContext(ctx, "webhook not kept: the local database refused the commit", "error", cerr.Error())
			b, _ := json.Marshal(map[string]string{"error": "temporarily unavailable, retry"})
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusServiceUnavailable,
				Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, nil
		}
		return resp, err
	}
}

// pendingStates are the state writes of the polls of one database not yet
// committed, the newest per key with the scope that wrote it.
type pendingStates struct {
	mu sync.Mutex
	m  map[stateKey]pendingState
}

type pendingState struct {
	st    delivery.State
	owner *scope
}

// get is key's uncommitted state, if a poll has one.
func (p *pendingStates) get(key stateKey) (delivery.State, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps, ok := p.m[key]
	return ps.st, ok
}

// put records s's write of key.
func (p *pendingStates) put(key stateKey, st delivery.State, s *scope) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[stateKey]pendingState{}
	}
	p.m[key] = pendingState{st: st, owner: s}
}

// release forgets s's writes (committed, or rolled back) of keys.
func (p *pendingStates) release(s *scope, keys []stateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if p.m[k].owner == s {
			delete(p.m, k)
		}
	}
}
