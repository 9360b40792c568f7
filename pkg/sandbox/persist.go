package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
)

// persistent is a fake whose records outlive the process: the back-end
// fakes (what was delivered) and cidaas (whose users `send` may change).
// The other CIAM fakes only serve the demo profiles, which New loads.
type persistent interface {
	Snapshot() ([]byte, error)
	Restore([]byte) error
}

// journaled is a persistent fake that can also say what changed since it
// was last asked (the generic webhook target, which load tests fill with
// thousands of records): the store appends that to a journal instead of
// rewriting the whole snapshot after each request.
type journaled interface {
	persistent
	TakeChanges() ([]byte, error) // nil: nothing changed
	Replay([]byte) error
}

// store writes each persistent fake's Snapshot to <dir>/<name>.json, and a
// journaled fake's changes since that snapshot to <dir>/<name>.journal, one
// JSON line each.
//
// A fake's state is written after every request that may change it and
// before the answer leaves: a back-end never acknowledges a write it has
// not kept, so the sync state (recorded after the acknowledgement) never
// gets ahead of the sandbox, and a SIGKILL loses nothing that was
// acknowledged. A snapshot goes to a temporary file renamed over the old
// one; a journal line is one append, and a line torn by a kill was never
// acknowledged, so Open drops it. As with the local database
// (synchronous=NORMAL), only an OS crash can lose the last journal lines.
// When a journal outgrows its snapshot (and compactAt), the store writes a
// new snapshot and empties the journal, so a write costs the same however
// many records the fake holds, and a restart replays at most a snapshot's
// worth of lines.
type store struct {
	dir   string
	fakes map[string]persistent

	mu       sync.Mutex // one writer at a time, so an older snapshot never lands last
	last     map[string][]byte
	journals map[string]*journal
}

// journal is the open journal file of one journaled fake.
type journal struct {
	f    *os.File
	size int64
}

// compactAt is the smallest journal the store compacts into a snapshot
// (a variable for the test of compaction).
var compactAt int64 = 1 << 20

// Open builds the sandbox, as New does, with what the fakes held when the
// last sandbox on dir stopped, and keeps them in dir from now on.
func Open(dir string) (*Sandbox, error) {
	s, err := New()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox data: %w", err)
	}
	st := &store{dir: dir, fakes: s.persistents(), last: map[string][]byte{}, journals: map[string]*journal{}}
	for name, f := range st.fakes {
		b, err := os.ReadFile(st.path(name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("sandbox data: %w", err)
		default:
			if err := f.Restore(b); err != nil {
				return nil, fmt.Errorf("%s: %w", st.path(name), err)
			}
			st.last[name] = b
		}
		if j, ok := f.(journaled); ok {
			if err := st.openJournal(name, j); err != nil {
				return nil, errors.Join(err, st.close())
			}
		}
	}
	s.store = st
	return s, nil
}

// openJournal replays name's journal onto the fake and keeps it open for
// appends. A last line without its newline was torn by a kill before it
// was acknowledged: it is cut off.
func (st *store) openJournal(name string, j journaled) error {
	path := st.journalPath(name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sandbox data: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return errors.Join(fmt.Errorf("sandbox data: %w", err), f.Close())
	}
	whole := bytes.LastIndexByte(b, '\n') + 1
	for n, line := range bytes.Split(b[:whole], []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if err := j.Replay(line); err != nil {
			return errors.Join(fmt.Errorf("%s line %d: %w", path, n+1, err), f.Close())
		}
	}
	if whole < len(b) {
		if err := f.Truncate(int64(whole)); err != nil {
			return errors.Join(fmt.Errorf("sandbox data: %w", err), f.Close())
		}
	}
	if _, err := f.Seek(int64(whole), io.SeekStart); err != nil {
		return errors.Join(fmt.Errorf("sandbox data: %w", err), f.Close())
	}
	st.journals[name] = &journal{f: f, size: int64(whole)}
	return nil
}

// Close closes the files a sandbox from Open keeps open (its journals);
// a request that changes a fake after Close fails with 503. A sandbox from
// New has nothing to close.
func (s *Sandbox) Close() error {
	if s.store == nil {
		return nil
	}
	return s.store.close()
}

// close closes the open journals.
func (st *store) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	var errs []error
	for name, j := range st.journals {
		errs = append(errs, j.f.Close())
		delete(st.journals, name)
	}
	return errors.Join(errs...)
}

func (s *Sandbox) persistents() map[string]persistent {
	return map[string]persistent{
		"salesforce": s.Salesforce, "webhook": s.Webhook, "hubspot": s.HubSpot, "brevo": s.Brevo,
		"mailchimp": s.Mailchimp, "braze": s.Braze, "zuora": s.Zuora, "scim": s.SCIM, "cidaas": s.Cidaas,
	}
}

func (st *store) path(name string) string { return filepath.Join(st.dir, name+".json") }

func (st *store) journalPath(name string) string { return filepath.Join(st.dir, name+".journal") }

// save keeps what name's fake changed: a journal line for a journaled
// fake, else a new snapshot if it changed since the last write.
func (st *store) save(name string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.fakes[name].(journaled); ok {
		j := st.journals[name]
		if j == nil {
			return errors.New("sandbox closed")
		}
		return st.append(name, j)
	}
	return st.snapshot(name)
}

// append writes the fake's changes as one journal line, then compacts
// the journal once it outgrows the snapshot.
func (st *store) append(name string, j *journal) error {
	b, err := st.fakes[name].(journaled).TakeChanges()
	if err != nil || b == nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		// A part of the line may be on disk: cut it off, or the next line
		// would be glued to it. The write is answered 503 and retried.
		return errors.Join(err, j.f.Truncate(j.size), seek(j.f, j.size))
	}
	j.size += int64(len(b) + 1)
	if j.size < max(compactAt, int64(len(st.last[name]))) {
		return nil
	}
	// Changes taken after this snapshot may be in it too: replaying a line
	// sets values, so they land the same either way.
	if err := st.snapshot(name); err != nil {
		return err
	}
	if err := errors.Join(j.f.Truncate(0), seek(j.f, 0)); err != nil {
		return err
	}
	j.size = 0
	return nil
}

func seek(f *os.File, off int64) error {
	_, err := f.Seek(off, io.SeekStart)
	return err
}

// snapshot writes name's snapshot, by way of a temporary file renamed over
// the old one, if it changed since the last write.
func (st *store) snapshot(name string) error {
	b, err := st.fakes[name].Snapshot()
	if err != nil {
		return err
	}
	if bytes.Equal(b, st.last[name]) {
		return nil
	}
	tmp, err := os.CreateTemp(st.dir, name+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), st.path(name))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	st.last[name] = b
	return nil
}

// persisted serves h and, for a request that may change what fake name
// holds, saves it before the answer is sent. A failed save answers 503, as
// a back-end that could not commit would, so the caller retries.
func (s *Sandbox) persisted(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.store
		if st == nil || st.fakes[name] == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := st.save(name); err != nil {
			http.Error(w, "sandbox could not save its state", http.StatusServiceUnavailable)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
