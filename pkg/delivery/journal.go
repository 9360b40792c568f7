package delivery

import (
	"context"
	"time"
)

// Entry is one delivery decision about one message, for the per-record
// sync log and the metrics: what became of it, and why. Like a Notice it
// carries ids, never profile data; Changes says which mapped fields
// changed, their values in the form the mapping's log settings allow.
type Entry struct {
	Target    string
	Subject   string // empty when the message could not be decoded
	EventID   string
	EventType string
	Source    string
	// SourceType is the event's origin (webhook, reconcile, ...).
	SourceType string
	MessageID  string
	Outcome    Outcome
	// Reason is why a message was skipped, retried or dead-lettered: a
	// failure's class, status and the back-end's code and message.
	Reason   string
	Class    string // fault class of a failure
	Attempts int    // receives of the message so far
	RecordID string // the back-end's id
	// EventAt is when the change happened at the source (the event's
	// occurred_at): At minus EventAt is the event-to-delivery latency.
	EventAt time.Time
	At      time.Time
	Changes []Change
}

// Change is one mapped field's difference against the last record pushed.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// Journal hears of every message's decision, once per batch. A failure to
// record never fails a delivery: it is logged, and the deliveries stand.
type Journal interface {
	Record(ctx context.Context, es []Entry) error
}

// entry is the journal entry of one message's result.
func (h *Handler) entry(msgID string, r result, n Notice) Entry {
	e := Entry{Target: h.Target, MessageID: msgID, Outcome: r.out, RecordID: r.recordID,
		Reason: n.Reason, Class: n.Class, Attempts: n.Attempts, At: h.now().UTC()}
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
