package local

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// groupWriter runs the local stack's write transactions as group
// commits: the writes that arrive while a transaction is being written
// wait, and then share the next one. Each write still runs on its own
// savepoint (its failure rolls back only its own work) and its caller
// still returns only after the commit that holds it, so a caller's nil
// means "on disk", as with one transaction each. What is saved is a
// BEGIN and a COMMIT (and their WAL frames) per write, and the busy
// handler's sleeps when writers collide, which were most of the time the
// ingress and the pollers spent in SQLite.
//
// A write must not start another write (inTx inside inTx): it would wait
// for the group it is part of.
type groupWriter struct {
	db *sql.DB

	mu    sync.Mutex
	queue []*write // waiting for the next group
	busy  bool     // a leader is running a group

	commits *atomic.Int64 // counted for the checkpointer, when set
}

// write is one inTx call.
type write struct {
	ctx      context.Context
	fn       func(*sql.Tx) error
	err      error
	panicked any
	// wake is sent true when this write's caller is to lead the next
	// group (the write is then still queued), false when its group is done.
	wake chan bool
}

// do runs fn in a group's transaction and returns once that is committed
// (nil) or fn's work is rolled back (the error).
func (w *groupWriter) do(ctx context.Context, fn func(*sql.Tx) error) error {
	req := &write{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, req)
	lead := !w.busy
	w.busy = true
	w.mu.Unlock()
	if !lead {
		lead = <-req.wake
	}
	if lead {
		w.lead()
	}
	if req.panicked != nil {
		panic(req.panicked)
	}
	return req.err
}

// lead runs the queued writes as one group, then hands the lead to the
// oldest write that arrived meanwhile, or leaves the writer idle.
func (w *groupWriter) lead() {
	w.mu.Lock()
	group := w.queue
	w.queue = nil
	w.mu.Unlock()

	w.run(group)
	for _, r := range group {
		r.wake <- false
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		w.busy = false
		return
	}
	w.queue[0].wake <- true
}

// run writes group in one transaction; each write gets its outcome.
func (w *groupWriter) run(group []*write) {
	// Not a caller's context: one caller's cancellation must not roll back
	// the others' writes. Each write's statements use its own.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range group {
			r.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	alone := len(group) == 1
	var ok []*write
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if err := runOne(tx, r, alone); err != nil {
			// The transaction cannot be trusted any more: roll it all back.
			_ = tx.Rollback()
			for _, o := range group {
				if o.err == nil && o.panicked == nil {
					o.err = fmt.Errorf("group transaction: %w", err)
				}
			}
			return
		}
		if r.err == nil && r.panicked == nil {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		for _, r := range ok {
			r.err = fmt.Errorf("commit: %w", err)
		}
		return
	}
	if w.commits != nil {
		w.commits.Add(1)
	}
}

// runOne runs r's fn in tx inside a savepoint (none when it is alone: the
// transaction is then its own). r's own failure is in r.err or
// r.panicked; the error returned means tx is no longer usable.
func runOne(tx *sql.Tx, r *write, alone bool) error {
	if !alone {
		if _, err := tx.ExecContext(context.Background(), `savepoint w`); err != nil {
			return err
		}
	}
	r.err, r.panicked = call(r.fn, tx)
	if alone {
		return nil
	}
	if r.err != nil || r.panicked != nil {
		_, err := tx.ExecContext(context.Background(), `rollback to w`)
		if err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(context.Background(), `release w`)
	return err
}

// call runs fn, turning a panic into a value for its caller to re-raise.
func call(fn func(*sql.Tx) error, tx *sql.Tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(tx), nil
}
