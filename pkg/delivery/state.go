package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// State is what the delivery layer remembers per (target, subject).
type State struct {
	LastEventAt time.Time `json:"last_event_at"`
	LastEventID string    `json:"last_event_id"`
	RecordID    string    `json:"record_id,omitempty"` // the back-end's own id
	Hash        string    `json:"hash,omitempty"`      // of the last record pushed
	Deleted     bool      `json:"deleted,omitempty"`   // a tombstone
	// Fields are the prints of the last record's mapped fields, by target
	// path: keyed fingerprints, and the masked or plain form where the
	// mapping's log settings allow one (see fields.go). The sync log's
	// diff reads them; Hash alone decides whether anything changed.
	Fields map[string]string `json:"fields,omitempty"`
}

// StateStore keeps State. The DynamoDB adapter (pkg/awsadapter), the SQLite one
// (pkg/local) and MemoryState satisfy it.
type StateStore interface {
	Get(ctx context.Context, target, subject string) (State, bool, error)
	Put(ctx context.Context, target, subject string, s State) error
}

// hashRecord is a stable digest of a mapped record (encoding/json sorts
// map keys, so equal records hash equally).
func hashRecord(key string, fields map[string]any) (string, error) {
	b, err := json.Marshal(struct {
		K string         `json:"k"`
		F map[string]any `json:"f"`
	}{key, fields})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
