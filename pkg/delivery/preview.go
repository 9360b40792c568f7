package delivery

import (
	"context"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Preview is what delivering an event would do, decided exactly as the
// handler decides: the same state, ordering, fetch and mapping, but no
// call to the back-end and no state written. Provision on demand
// (`profilesync sync SUBJECT --dry-run`) shows it.
type Preview struct {
	// Outcome is the decision: a skip with its reason, or what the call
	// would make of the record (delivered, deleted, opted_out, left_scope).
	Outcome Outcome
	// Call is the back-end call it would make: upsert, delete or opt_out;
	// "" when none.
	Call string
	// Key and Fields are the mapped record the call would send.
	Key    string
	Fields map[string]any
	// State is what the handler remembers of the subject (Found false:
	// nothing, the target has never had it from us).
	State State
	Found bool
}

// Preview decides e as Deliver would, without delivering it.
func (h *Handler) Preview(ctx context.Context, e profile.Event) (Preview, error) {
	st, found, err := h.State.Get(ctx, h.Target, e.Subject)
	if err != nil {
		return Preview{}, err
	}
	dry := &Handler{Target: h.Target, Mapping: h.Mapping, Fetchers: h.Fetchers, State: readOnlyState{h.State},
		Stored: h.Stored, Log: h.Log, Now: h.Now}
	pl, err := dry.prepare(ctx, e)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Outcome: pl.decided, Key: pl.rec.Key, Fields: pl.rec.Fields, State: st, Found: found}
	if p.Outcome != "" {
		return p, nil
	}
	switch {
	case pl.delete:
		p.Call, p.Outcome = "delete", Deleted
	case pl.optOut:
		p.Call, p.Outcome = "opt_out", OptedOut
	default:
		p.Call, p.Outcome = "upsert", Delivered
	}
	switch pl.cause {
	case mapping.CauseOptOut:
		p.Outcome = OptedOut
	case mapping.CauseOutOfScope:
		p.Outcome = OutOfScope
	}
	return p, nil
}

// readOnlyState reads a store and writes nothing: a preview's decisions
// that record state (a skip) leave the store as it was.
type readOnlyState struct{ StateStore }

func (readOnlyState) Put(context.Context, string, string, State) error { return nil }
