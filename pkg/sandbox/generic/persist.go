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
	f.records, f.seq, f.dirty = st.Records, st.Seq, nil
	return nil
}

// change is one line of the sandbox's journal: the records changed since
// the line before, each as it now is (null: deleted), and the id counter.
// Applying a line sets values, so applying it again changes nothing.
type change struct {
	Records map[string]*Record `json:"records"`
	Seq     int                `json:"seq"`
}

// touch marks key changed; f.mu is held.
func (f *Fake) touch(key string) {
	if f.dirty == nil {
		f.dirty = map[string]bool{}
	}
	f.dirty[key] = true
}

// TakeChanges encodes the records changed since its last call, as they
// are now, for the sandbox's journal; nil when nothing changed. Writing
// this instead of a whole Snapshot after each request keeps a write's
// cost independent of how many records the fake holds.
func (f *Fake) TakeChanges() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.dirty) == 0 {
		return nil, nil
	}
	c := change{Records: make(map[string]*Record, len(f.dirty)), Seq: f.seq}
	for k := range f.dirty {
		c.Records[k] = f.records[k] // nil when deleted
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	f.dirty = nil
	return b, nil
}

// Replay applies one TakeChanges result on top of what the fake holds.
func (f *Fake) Replay(b []byte) error {
	var c change
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("generic sandbox journal: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, r := range c.Records {
		if r == nil {
			delete(f.records, k)
			continue
		}
		f.records[k] = r
	}
	f.seq = max(f.seq, c.Seq)
	return nil
}
