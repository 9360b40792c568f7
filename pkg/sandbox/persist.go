package sandbox

import (
	"bytes"
	"errors"
	"fmt"
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

// store writes each persistent fake's Snapshot to <dir>/<name>.json.
//
// A fake's state is written after every request that may change it and
// before the answer leaves, by way of a temporary file renamed over the
// old one: a back-end never acknowledges a write it has not kept, so the
// sync state (recorded after the acknowledgement) never gets ahead of the
// sandbox, and a SIGKILL loses nothing that was acknowledged.
type store struct {
	dir   string
	fakes map[string]persistent

	mu   sync.Mutex // one writer at a time, so an older snapshot never lands last
	last map[string][]byte
}

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
	st := &store{dir: dir, fakes: s.persistents(), last: map[string][]byte{}}
	for name, f := range st.fakes {
		b, err := os.ReadFile(st.path(name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox data: %w", err)
		}
		if err := f.Restore(b); err != nil {
			return nil, fmt.Errorf("%s: %w", st.path(name), err)
		}
		st.last[name] = b
	}
	s.store = st
	return s, nil
}

func (s *Sandbox) persistents() map[string]persistent {
	return map[string]persistent{
		"salesforce": s.Salesforce, "webhook": s.Webhook, "hubspot": s.HubSpot, "brevo": s.Brevo,
		"mailchimp": s.Mailchimp, "braze": s.Braze, "zuora": s.Zuora, "scim": s.SCIM, "cidaas": s.Cidaas,
	}
}

func (st *store) path(name string) string { return filepath.Join(st.dir, name+".json") }

// save writes name's snapshot if it changed since the last write.
func (st *store) save(name string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
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
