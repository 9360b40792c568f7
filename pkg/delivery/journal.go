package delivery

import (
	"context"
	"errors"
	"time"
)

// Entry is one delivery decision about one message, for the per-record
// sync log and the metrics: what became of it, and why. Like a Notice it
// carries ids, never profile data; Changes says which mapped fields
// changed, their values in the form the mapping's log settings allow.
type Entry struct {
	Target    string `json:"target"`
	Subject   string `json:"subject,omitempty"` // empty when the message could not be decoded
	EventID   string `json:"event_id,omitempty"`
	EventType string `json:"event_type,omitempty"`
	Source    string `json:"source,omitempty"`
	// SourceType is the event's origin (webhook, reconcile, ...).
	SourceType string  `json:"source_type,omitempty"`
	MessageID  string  `json:"message_id,omitempty"`
	Outcome    Outcome `json:"outcome"`
	// Reason is why a message was skipped, retried or dead-lettered: a
	// failure's class, status and the back-end's code and message.
	Reason   string `json:"reason,omitempty"`
	Class    string `json:"class,omitempty"`     // fault class of a failure
	Attempts int    `json:"attempts,omitempty"`  // receives of the message so far
	RecordID string `json:"record_id,omitempty"` // the back-end's id
	// EventAt is when the change happened at the source (the event's
	// occurred_at): At minus EventAt is the event-to-delivery latency.
	EventAt time.Time `json:"event_at,omitzero"`
	At      time.Time `json:"at"`
	// Created is set on a delivery to a target that held no live record
	// of the subject: the record is new (else it was updated).
	Created bool     `json:"created,omitempty"`
	Changes []Change `json:"changes,omitempty"`
}

// Change is one mapped field's difference against the last record pushed.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// DefaultLogRetention is how long the sync log keeps an entry (DynamoDB's
// TTL on AWS, the local store's expiry locally) unless configured.
const DefaultLogRetention = 30 * 24 * time.Hour

// Journal hears of every message's decision, once per batch. A failure to
// record never fails a delivery: it is logged, and the deliveries stand.
type Journal interface {
	Record(ctx context.Context, es []Entry) error
}

// entry is the journal entry of one message's result.
func (h *Handler) entry(msgID string, r result, n Notice) Entry {
	e := Entry{Target: h.Target, MessageID: msgID, Outcome: r.out, RecordID: r.recordID,
		Reason: n.Reason, Class: n.Class, Attempts: n.Attempts, At: h.now().UTC(),
		Created: r.created, Changes: r.changes}
	if r.env != nil {
		ev := r.env.Event
		e.Subject, e.EventID, e.EventType, e.Source = ev.Subject, ev.ID, string(ev.Type), ev.Source
		e.SourceType, e.EventAt = ev.SourceType, ev.OccurredAt
	}
	return e
}

// record hands a batch's entries to the journal.
func (h *Handler) record(ctx context.Context, es []Entry) {
	if h.Journal == nil || len(es) == 0 {
		return
	}
	if err := h.Journal.Record(ctx, es); err != nil {
		h.log().Error("sync log not written", "target", h.Target, "entries", len(es), "error", err.Error())
	}
}

// outcome is what a failed message's settlement made of it.
func (n Notice) outcome(retry bool) Outcome {
	if retry {
		return Retrying
	}
	return Abandon
}

// Journals hands every batch to each of its journals (the sync log, the
// metrics): one failing does not keep the others from recording.
type Journals []Journal

// Record implements Journal.
func (js Journals) Record(ctx context.Context, es []Entry) error {
	var errs []error
	for _, j := range js {
		if j != nil {
			errs = append(errs, j.Record(ctx, es))
		}
	}
	return errors.Join(errs...)
}
