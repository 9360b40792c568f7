package cidaas

import (
	"encoding/json"
	"fmt"
)

// state is what the fake holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory); tokens, injected
// failures and call counts are per run.
type state struct {
	Users map[string]map[string]any `json:"users"`
}

// Snapshot encodes what the fake holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(state{Users: f.users})
}

// Restore replaces what the fake holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("cidaas sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.Users == nil {
		st.Users = map[string]map[string]any{}
	}
	f.users = st.Users
	return nil
}
