package hubspot

import (
	"encoding/json"
	"fmt"
)

// state is what the fake holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory); tokens, injected
// failures and call counts are per run.
type state struct {
	Contacts map[string]*Contact        `json:"contacts"`
	Blocked  map[string]bool            `json:"blocked,omitempty"`
	Unsub    map[string]map[string]bool `json:"unsubscribed,omitempty"`
	Seq      int                        `json:"seq"`
}

// Snapshot encodes what the fake holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(state{Contacts: f.contacts, Blocked: f.blocked, Unsub: f.unsub, Seq: f.seq})
}

// Restore replaces what the fake holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("hubspot sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.Contacts == nil {
		st.Contacts = map[string]*Contact{}
	}
	if st.Blocked == nil {
		st.Blocked = map[string]bool{}
	}
	if st.Unsub == nil {
		st.Unsub = map[string]map[string]bool{}
	}
	f.contacts, f.blocked, f.unsub, f.seq = st.Contacts, st.Blocked, st.Unsub, st.Seq
	return nil
}
