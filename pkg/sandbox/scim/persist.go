package scim

import (
	"encoding/json"
	"fmt"
)

// state is what the server holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory).
type state struct {
	Users []storedUser `json:"users"`
	Seq   int          `json:"seq"`
}

type storedUser struct {
	ID      string         `json:"id"`
	Attrs   map[string]any `json:"attributes"`
	Version int            `json:"version"`
}

// Snapshot encodes what the server holds.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{Users: []storedUser{}, Seq: s.seq}
	for _, u := range s.users {
		st.Users = append(st.Users, storedUser{ID: u.id, Attrs: u.attrs, Version: u.version})
	}
	return json.Marshal(st)
}

// Restore replaces what the server holds with a Snapshot.
func (s *Server) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("scim sandbox state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = map[string]*user{}
	for _, u := range st.Users {
		s.users[u.ID] = &user{id: u.ID, attrs: u.Attrs, version: u.Version}
	}
	s.seq = st.Seq
	return nil
}
