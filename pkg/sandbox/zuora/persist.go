package zuora

import (
	"encoding/json"
	"fmt"
)

// state is what the fake holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory); tokens, injected
// failures and call counts are per run.
type state struct {
	Contacts map[string]*Contact `json:"contacts"`
	Seq      int                 `json:"seq"`
}

// Snapshot encodes what the fake holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(state{Contacts: f.contacts, Seq: f.seq})
}

// Restore replaces what the fake holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("zuora sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.Contacts == nil {
		st.Contacts = map[string]*Contact{}
	}
	f.contacts, f.seq = st.Contacts, st.Seq
	return nil
}
