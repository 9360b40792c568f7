package local

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DBFile is the database file Open creates in its directory.
const DBFile = "profilesync.db"

// schemaVersion is stored in PRAGMA user_version; bump it with a migration.
const schemaVersion = 9 // 7: the sync log, state fields and the erasure ledger; 8: event_archive; 9: sync_log_time, no goqite updated trigger

//go:embed schema_goqite.sql
var goqiteSchema string

//go:embed schema.sql
var localSchema string

// DB is the local SQLite database shared by Queues and State.
type DB struct {
	sql         *sql.DB
	path        string
	stmts       map[string]*sql.Stmt // hot statements, prepared at Open (stmt.go)
	writer      *groupWriter
	checkpoints *checkpointer // checkpoint.go
	pending     pendingStates // polls' state writes not yet committed (scope.go)
}

// Open opens (creating if needed) dir/profilesync.db and brings its schema up
// to date.
//
// WAL lets the pollers read while the ingress writes; synchronous=NORMAL in
// WAL mode loses nothing when the process is killed (only an OS crash can
// roll back the last commits), which is the durability a local stack needs.
// Write transactions begin IMMEDIATE so two writers queue on busy_timeout
// instead of failing with SQLITE_BUSY when a reader upgrades.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open local db: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open local db: path %q must not contain '?' or '#'", path)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open local db %s: %w", path, err)
	}
	// A handful of connections is plenty for one machine and keeps the page
	// caches small; writers serialise in SQLite anyway.
	sqlDB.SetMaxOpenConns(8)
	db := &DB{sql: sqlDB, path: path, writer: &groupWriter{db: sqlDB}}
	if err := db.migrate(context.Background()); err != nil {
		return nil, errors.Join(fmt.Errorf("open local db %s: %w", path, err), sqlDB.Close())
	}
	if err := db.prepare(context.Background()); err != nil {
		return nil, errors.Join(fmt.Errorf("open local db %s: %w", path, err), sqlDB.Close())
	}
	db.startCheckpoints()
	return db, nil
}

// Path is the database file, for logs and the CLI.
func (db *DB) Path() string { return db.path }

// Close closes the database. Messages in flight stay in flight and come back
// after their visibility timeout when the database is opened again.
func (db *DB) Close() error {
	db.stopCheckpoints()
	return errors.Join(db.closeStmts(), db.sql.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, `pragma user_version`).Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case version == schemaVersion:
			return nil
		case version > schemaVersion:
			return fmt.Errorf("schema version %d is newer than this build (%d)", version, schemaVersion)
		}
		// Every statement of schema.sql is "if not exists": a database of an
		// older version gets the tables it lacks.
		var hasGoqite bool
		q := `select exists (select 1 from sqlite_master where type = 'table' and name = 'goqite')`
		if err := tx.QueryRowContext(ctx, q).Scan(&hasGoqite); err != nil {
			return fmt.Errorf("look for goqite schema: %w", err)
		}
		if !hasGoqite {
			if _, err := tx.ExecContext(ctx, goqiteSchema); err != nil {
				return fmt.Errorf("create goqite schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, localSchema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if err := addColumns(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`pragma user_version = %d`, schemaVersion)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		return nil
	})
}

// inTx runs fn in a write transaction and returns once it is committed
// (nil) or fn's work is rolled back (fn's error). Concurrent calls share
// transactions (groupcommit.go).
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.writer.do(ctx, fn)
}

// addColumns gives a database of an older version the columns its
// existing tables lack ("create table if not exists" leaves them alone).
func addColumns(ctx context.Context, tx *sql.Tx) error {
	for _, c := range []struct{ table, column, def string }{
		{"sync_state", "fields", "text not null default ''"}, // version 7
	} {
		var n int
		q := `select count(*) from pragma_table_info(?) where name = ?`
		if err := tx.QueryRowContext(ctx, q, c.table, c.column).Scan(&n); err != nil {
			return fmt.Errorf("look for %s.%s: %w", c.table, c.column, err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `alter table `+c.table+` add column `+c.column+` `+c.def); err != nil {
				return fmt.Errorf("add %s.%s: %w", c.table, c.column, err)
			}
		}
	}
	return nil
}
