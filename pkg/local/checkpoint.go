package local

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the background checkpointer looks for
// commits to copy from the WAL into the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies the WAL into the database file in the background,
// with PASSIVE checkpoints, which never wait for a writer or a reader.
// SQLite's automatic checkpoint (wal_autocheckpoint, off in Open's DSN)
// would do it inside the commit that crosses 1,000 pages, with its
// fsyncs, while every other write waits for the group writer: on the
// local stack's load that commit is the writer's slowest by far.
// Durability is the WAL's either way: a commit is in the WAL before its
// caller returns.
type checkpointer struct {
	commits atomic.Int64 // commits so far (groupWriter)
	stop    chan struct{}
	done    chan struct{}
}

// startCheckpoints starts db's checkpointer.
func (db *DB) startCheckpoints() {
	c := &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	db.checkpoints = c
	db.writer.commits = &c.commits
	go func() {
		defer close(c.done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			n := c.commits.Load()
			if n == last {
				continue
			}
			last = n
			if _, err := db.sql.ExecContext(context.Background(), `pragma wal_checkpoint(PASSIVE)`); err != nil {
				slog.Default().Warn("local database checkpoint failed; the next one retries", "error", err.Error())
			}
		}
	}()
}

// stopCheckpoints stops db's checkpointer and waits for it.
func (db *DB) stopCheckpoints() {
	if c := db.checkpoints; c != nil {
		close(c.stop)
		<-c.done
		db.checkpoints = nil
	}
}
