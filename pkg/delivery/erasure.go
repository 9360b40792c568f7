package delivery

import (
	"context"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// The erasure ledger: per subject and target, what became of each delete
// (or the anonymisation or deactivation a mapping's on_delete makes of
// it), for the operator's proof that a subject's data left every system.
// The sync log's stores keep it beside the log, from the same entries,
// and keep it past the log's retention.

// ErasureStatus is where one erasure at one target stands.
type ErasureStatus string

const (
	// ErasurePending: asked for (profilesync erase) or failed and
	// retrying; not yet confirmed by the target.
	ErasurePending ErasureStatus = "pending"
	// ErasureConfirmed: the target answered the delete (or the on_delete
	// policy's update) with success.
	ErasureConfirmed ErasureStatus = "confirmed"
	// ErasureFailed: abandoned to the dead-letter queue, with the reason.
	ErasureFailed ErasureStatus = "failed"
	// ErasureSkipped: nothing was sent: the mapping's on_delete is ignore,
	// the target held no live record, or the source still has the subject
	// (a delete older than the last change).
	ErasureSkipped ErasureStatus = "skipped"
)

// SourceTypeErasure is the SourceType of the delete events `profilesync
// erase` queues for a data-subject request made to the operator.
const SourceTypeErasure = "erasure"

// Erasure is one delete of one subject at one target.
type Erasure struct {
	Subject     string        `json:"subject"`
	Target      string        `json:"target"`
	EventID     string        `json:"event_id"`
	Status      ErasureStatus `json:"status"`
	RequestedAt time.Time     `json:"requested_at"`
	// SettledAt is when the target confirmed, or the delete failed or was
	// skipped.
	SettledAt time.Time `json:"settled_at,omitzero"`
	Outcome   Outcome   `json:"outcome,omitempty"`
	Reason    string    `json:"reason,omitempty"` // a failure's, or a skip's
	Attempts  int       `json:"attempts,omitempty"`
}

// ErasureLedger records erasures asked for before any delivery (the
// pending state of `profilesync erase`); the deliveries' settlements
// arrive through the Journal.
type ErasureLedger interface {
	Open(ctx context.Context, es []Erasure) error
}

// ErasureOf is what a journal entry makes of its subject's erasure at its
// target: ok is false for every entry but a delete event's.
func ErasureOf(e Entry) (Erasure, bool) {
	if e.EventType != string(profile.Deleted) || e.Subject == "" || e.Outcome == NotRouted {
		return Erasure{}, false
	}
	er := Erasure{Subject: e.Subject, Target: e.Target, EventID: e.EventID, RequestedAt: e.EventAt,
		Outcome: e.Outcome, Attempts: e.Attempts, SettledAt: e.At}
	if er.RequestedAt.IsZero() {
		er.RequestedAt = e.At
	}
	switch e.Outcome {
	case Deleted, Delivered, OutOfScope:
		er.Status = ErasureConfirmed
	case Retrying:
		er.Status, er.Reason, er.SettledAt = ErasurePending, e.Reason, time.Time{}
	case Abandon:
		er.Status, er.Reason = ErasureFailed, e.Reason
	default:
		er.Status, er.Reason = ErasureSkipped, string(e.Outcome)
	}
	return er, true
}
