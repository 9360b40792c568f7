package mailchimp

import (
	"encoding/json"
	"fmt"
)

// state is what the fake holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory); tokens, injected
// failures and call counts are per run.
type state struct {
	Lists     map[string]map[string]*Member `json:"lists"`
	Forgotten map[string]bool               `json:"forgotten,omitempty"`
	Seq       int                           `json:"seq"`
}

// Snapshot encodes what the fake holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(state{Lists: f.lists, Forgotten: f.forgotten, Seq: f.seq})
}

// Restore replaces what the fake holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("mailchimp sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// An audience the fake was built with stays, even if the file predates it.
	for id, members := range st.Lists {
		if members == nil {
			members = map[string]*Member{}
		}
		f.lists[id] = members
	}
	if st.Forgotten == nil {
		st.Forgotten = map[string]bool{}
	}
	f.forgotten, f.seq = st.Forgotten, st.Seq
	return nil
}
