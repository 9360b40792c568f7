package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// hotStatements are prepared once, when the database opens: SQLite then
// parses each once per connection instead of once per call. Parsing was
// the largest single cost of a delivery through the local stack (about
// 15% of its CPU) before the poller's statements were prepared.
//
// They are prepared at Open and not on first use because a first use
// comes inside a write transaction: preparing on the pool there waits for
// a free connection while the others wait, in BEGIN IMMEDIATE, for the
// write lock that transaction holds.
var hotStatements = []string{
	sendSQL, sendAttributesSQL, candidatesSQL, receiveSQL, receivedAttributesSQL, firstReceiveSQL, moveExhaustedSQL, deleteReceiptSQL,
	stateGetSQL, stateGetManySQL, statePutSQL, syncLogInsertSQL, syncLogExpireSQL, noticeInsertSQL, archiveInsertSQL,
}

// prepare prepares the hot statements.
func (db *DB) prepare(ctx context.Context) error {
	db.stmts = make(map[string]*sql.Stmt, len(hotStatements))
	for _, q := range hotStatements {
		s, err := db.sql.PrepareContext(ctx, q)
		if err != nil {
			return errors.Join(fmt.Errorf("prepare %q: %w", q, err), db.closeStmts())
		}
		db.stmts[q] = s
	}
	return nil
}

// preparedTx is query bound to tx: a hot statement reuses what its
// connection has prepared (database/sql keeps one per connection), any
// other is prepared on tx's connection for this transaction.
//
// Run the statement with inTxCtx(ctx): a write transaction is shared
// (groupcommit.go), and a caller's cancellation must not interrupt it.
func (db *DB) preparedTx(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	ctx = inTxCtx(ctx)
	if s, ok := db.stmts[query]; ok {
		return tx.StmtContext(ctx, s), nil
	}
	return tx.PrepareContext(ctx, query)
}

// inTxCtx is ctx for a statement in a write transaction: its values
// without its cancellation. An interrupted statement can roll back the
// whole transaction, the other callers' writes in it too; and without a
// Done channel the driver runs the statement without a watcher goroutine.
func inTxCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// execTx runs query in tx, prepared if it is hot.
func (db *DB) execTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	ctx = inTxCtx(ctx)
	if s, ok := db.stmts[query]; ok {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// queryRow runs query on its own, prepared if it is hot.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s, ok := db.stmts[query]; ok {
		return s.QueryRowContext(ctx, args...)
	}
	return db.sql.QueryRowContext(ctx, query, args...)
}

// closeStmts closes the prepared statements, before the database.
func (db *DB) closeStmts() error {
	var errs []error
	for _, s := range db.stmts {
		errs = append(errs, s.Close())
	}
	db.stmts = nil
	return errors.Join(errs...)
}
