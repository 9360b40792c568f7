package delivery

import (
	"context"
	"time"
)

// Notice types published for customers' own consumers (EventBridge
// detail-type).
const (
	NoticeSynced    = "ProfileSynced"
	NoticeAbandoned = "SyncAbandoned"
	// NoticeRetrying goes to Handler.Retries only (the local stack), never
	// to the EventBridge bus.
	NoticeRetrying = "SyncRetrying"
)

// Notice is what the sync function tells the outside world about one
// message: it was delivered (or skipped as a no-op), or it was abandoned.
// It carries ids only, never profile data.
type Notice struct {
	Type      string    `json:"-"` // NoticeSynced or NoticeAbandoned
	Target    string    `json:"target"`
	Subject   string    `json:"subject"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Source    string    `json:"source"`
	Outcome   string    `json:"outcome,omitempty"`
	RecordID  string    `json:"record_id,omitempty"`
	Reason    string    `json:"reason,omitempty"` // for SyncAbandoned: class, status, back-end message
	Attempts  int       `json:"attempts,omitempty"`
	Class     string    `json:"class,omitempty"` // for SyncRetrying: the failure's class
	At        time.Time `json:"at"`
}

// Notifier publishes notices (EventBridge PutEvents on AWS). A failure to
// notify never fails a delivery: the notice is logged and dropped.
type Notifier interface {
	Notify(ctx context.Context, ns []Notice) error
}
