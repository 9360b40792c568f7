package devstack

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// EventsPath is where the local stack tells what became of an event:
// GET EventsPath + "{id}" answers an EventReport. It exists on the local
// stack only; `profilesync send` follows its events with it.
const EventsPath = "/_local/events/"

// Delivery states of an event at one target.
const (
	StateQueued       = "queued"        // waiting for its first delivery
	StateRetrying     = "retrying"      // failed, next attempt scheduled
	StateDone         = "done"          // synced: Outcome says how
	StateDeadLettered = "dead_lettered" // abandoned: Reason says why
)

// EventReport is what became of one event at each target that has a trace
// of it (a notice, or a message still queued). Ids and target names only.
type EventReport struct {
	EventID string         `json:"event_id"`
	Targets []TargetReport `json:"targets"`
}

// TargetReport is one target's part of an EventReport.
type TargetReport struct {
	Target    string `json:"target"`
	State     string `json:"state"`
	EventType string `json:"event_type,omitempty"`
	// Outcome is the sync handler's (delivery.Outcome): delivered, deleted,
	// skipped_unchanged, skipped_stale, left_scope, opted_out, abandoned...
	Outcome  string `json:"outcome,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// Class of the last failure (transient, throttled, ...) while retrying,
	// from the handler's retry notice.
	Class         string     `json:"class,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// Event reports what became of eventID at every target of the stack,
// from the notices recorded since then (zero: all): the same event sent
// again is told apart from its earlier deliveries.
func (s *Stack) Event(ctx context.Context, eventID string, since time.Time) (EventReport, error) {
	rep := EventReport{EventID: eventID, Targets: []TargetReport{}}
	ns, err := s.Notices.ForEvent(ctx, eventID, since)
	if err != nil {
		return rep, err
	}
	last := map[string]delivery.Notice{}  // the settled outcome per target
	retry := map[string]delivery.Notice{} // the last retry scheduled per target
	for _, n := range ns {
		if n.Type == delivery.NoticeRetrying {
			retry[n.Target] = n
			continue
		}
		last[n.Target] = n
	}
	targets := make([]string, 0, len(s.Function.Mappings.All())+1)
	for _, m := range s.Function.Mappings.All() {
		targets = append(targets, m.Name)
	}
	if s.Verifier != nil {
		targets = append(targets, claims.QueueName)
	}
	sort.Strings(targets)
	for _, name := range targets {
		if n, ok := last[name]; ok {
			tr := TargetReport{Target: name, State: StateDone, EventType: n.EventType, Outcome: n.Outcome,
				RecordID: n.RecordID, Reason: n.Reason, Attempts: n.Attempts}
			if n.Type == delivery.NoticeAbandoned {
				tr.State = StateDeadLettered
			}
			rep.Targets = append(rep.Targets, tr)
			continue
		}
		ps, err := s.Queues.Pending(ctx, name, eventID)
		if err != nil {
			return rep, err
		}
		if len(ps) == 0 {
			continue
		}
		p := ps[0]
		tr := TargetReport{Target: name, State: StateQueued, Attempts: p.Receives}
		if p.Receives > 0 {
			at := p.VisibleAt.UTC()
			tr.State, tr.NextAttemptAt, tr.Class = StateRetrying, &at, retry[name].Class
		}
		rep.Targets = append(rep.Targets, tr)
	}
	return rep, nil
}

// serveEvent answers GET EventsPath{id}[?since=<unix milliseconds>].
func (s *Stack) serveEvent(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "since: want unix milliseconds", http.StatusBadRequest)
			return
		}
		since = time.UnixMilli(ms)
	}
	rep, err := s.Event(r.Context(), r.PathValue("id"), since)
	if err != nil {
		s.Function.Log.Error("event report failed", "error", err.Error())
		http.Error(w, "event report failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
}
