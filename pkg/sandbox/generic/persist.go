package generic

import (
	"encoding/json"
	"fmt"
)

// state is what the fake holds that a restart of the local stack must
// keep (pkg/sandbox writes it under the data directory); tokens, injected
// failures and call counts are per run.
type state struct {
	Records map[string]*Record `json:"records"`
	Seq     int                `json:"seq"`
}

// Snapshot encodes what the fake holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.Marshal(state{Records: f.records, Seq: f.seq})
}

// Restore replaces what the fake holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("generic sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st.Records == nil {
		st.Records = map[string]*Record{}
	}
	f.records, f.seq = st.Records, st.Seq
	return nil
}
