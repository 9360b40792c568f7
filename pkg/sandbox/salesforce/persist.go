package salesforce

import (
	"encoding/json"
	"fmt"
)

// state is what the org holds that a restart of the local stack must keep
// (pkg/sandbox writes it under the data directory); tokens, schemas,
// injected failures and call counts are per run.
type state struct {
	Records map[string][]storedRecord `json:"records"` // object -> live records
	Deleted map[string]string         `json:"deleted,omitempty"`
	Seq     int                       `json:"seq"`
}

type storedRecord struct {
	ID     string         `json:"id"`
	Fields map[string]any `json:"fields"`
}

// Snapshot encodes what the org holds.
func (f *Fake) Snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := state{Records: map[string][]storedRecord{}, Deleted: f.deleted, Seq: f.seq}
	for obj, recs := range f.records {
		for _, r := range recs {
			st.Records[obj] = append(st.Records[obj], storedRecord{ID: r.id, Fields: r.fields})
		}
	}
	return json.Marshal(st)
}

// Restore replaces what the org holds with a Snapshot.
func (f *Fake) Restore(b []byte) error {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("salesforce sandbox state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = map[string][]*record{}
	for obj, recs := range st.Records {
		for _, r := range recs {
			f.records[obj] = append(f.records[obj], &record{id: r.ID, fields: r.Fields})
		}
	}
	if st.Deleted == nil {
		st.Deleted = map[string]string{}
	}
	f.deleted, f.seq = st.Deleted, st.Seq
	return nil
}
