package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestGroupCommitKeepsEachWriteApart: concurrent writes share
// transactions, yet each caller gets its own outcome: a failing write and
// a panicking one leave nothing behind, every other write is committed by
// the time its call returns.
func TestGroupCommitKeepsEachWriteApart(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx := context.Background()
	if _, err := db.sql.Exec(`create table gc (n integer primary key)`); err != nil {
		t.Fatal(err)
	}
	const writers = 64
	errBad := errors.New("refused")
	var wg sync.WaitGroup
	errs := make([]error, writers)
	panics := make([]any, writers)
	for i := range writers {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.inTx(ctx, func(tx *sql.Tx) error {
				// Two rows per write: a failure must take back both.
				for _, n := range []int{i, 1000 + i} {
					if _, err := tx.Exec(`insert into gc (n) values (?)`, n); err != nil {
						return err
					}
				}
				switch i % 16 {
				case 5:
					return errBad
				case 9:
					panic(fmt.Sprintf("write %d panics", i))
				}
				return nil
			})
			// Committed when the call returns: another connection sees it.
			if errs[i] == nil {
				var n int
				if err := db.sql.QueryRow(`select count(*) from gc where n in (?, ?)`, i, 1000+i).Scan(&n); err != nil || n != 2 {
					errs[i] = fmt.Errorf("write %d not visible after its call returned: %d rows, %v", i, n, err)
				}
			}
		})
	}
	wg.Wait()
	for i := range writers {
		var n int
		if err := db.sql.QueryRow(`select count(*) from gc where n in (?, ?)`, i, 1000+i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		switch i % 16 {
		case 5:
			if !errors.Is(errs[i], errBad) || n != 0 {
				t.Errorf("write %d: err %v, %d rows kept; want its own error and nothing kept", i, errs[i], n)
			}
		case 9:
			if p, _ := panics[i].(string); !strings.Contains(p, "panics") || n != 0 {
				t.Errorf("write %d: panic %v, %d rows kept; want its panic re-raised and nothing kept", i, panics[i], n)
			}
		default:
			if errs[i] != nil || panics[i] != nil || n != 2 {
				t.Errorf("write %d: err %v, panic %v, %d rows; want committed", i, errs[i], panics[i], n)
			}
		}
	}
}

// TestGroupCommitCancelledWriteDoesNotRun: a write whose context is done
// before its group starts is not run, and says so.
func TestGroupCommitCancelledWriteDoesNotRun(t *testing.T) {
	db := openDB(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.inTx(ctx, func(*sql.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("inTx with a cancelled context: err %v, ran %v", err, ran)
	}
}
