package metrics

import (
	"context"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// The sync function's metrics, per target (dimension Target). Skipped,
// Retried and DeadLettered are also counted per Reason (dimensions Target,
// Reason): a skip's outcome code (skipped_stale, skipped_unchanged, ...)
// or a failure's fault class (transient, throttled, auth, permanent).
const (
	DimTarget = "Target"
	DimReason = "Reason"
	DimSource = "Source"

	Received     = "Received"     // messages handled
	Delivered    = "Delivered"    // created or updated (opt-outs and scope exits included)
	Deleted      = "Deleted"      // deleted at the target
	Skipped      = "Skipped"      // nothing to send: stale, unchanged, not subscribed, ...
	Retried      = "Retried"      // failed and scheduled again
	DeadLettered = "DeadLettered" // abandoned to the dead-letter queue
	// ErasureFailed counts deletes (a subject's erasure at a target,
	// delivery.ErasureOf) abandoned to the dead-letter queue: an erasure
	// the target did not confirm within its outage budget. Its alarm is
	// the erasure ledger's deadline on AWS.
	ErasureFailed = "ErasureFailed"
	// EventToDeliveryLatency is the time from the change at the source to
	// its delivery (Entry.At - Entry.EventAt), for each message that wrote
	// to the target; reconciliation's repairs are left out, their event
	// time being the record's, not a change's.
	EventToDeliveryLatency = "EventToDeliveryLatency"
)

// Journal counts each batch's decisions per target and writes them as EMF
// lines: one line per target per batch, plus one per reason present. It
// never fails a delivery: a write error is returned for the handler to
// log.
type Journal struct {
	Emitter *Emitter
}

var _ delivery.Journal = Journal{}

// Record implements delivery.Journal.
func (j Journal) Record(_ context.Context, es []delivery.Entry) error {
	return j.Emitter.Emit(TargetSets(es)...)
}

// TargetSets aggregates entries into sets: per target, then per target
// and reason, in name order.
func TargetSets(es []delivery.Entry) []*Set {
	byTarget := map[string]*Set{}
	byReason := map[[2]string]*Set{}
	for _, e := range es {
		t := dimValue(e.Target)
		s := byTarget[t]
		if s == nil {
			s = NewSet(Dimension{DimTarget, t})
			for _, n := range []string{Received, Delivered, Deleted, Skipped, Retried, DeadLettered, ErasureFailed} {
				s.Count(n, 0) // zeros too: a quiet outcome graphs as 0, not as a gap
			}
			byTarget[t] = s
		}
		s.Count(Received, 1)
		if er, ok := delivery.ErasureOf(e); ok && er.Status == delivery.ErasureFailed {
			s.Count(ErasureFailed, 1)
		}
		name, reason := classify(e)
		if name == "" {
			continue
		}
		s.Count(name, 1)
		if reason != "" {
			k := [2]string{t, reason}
			r := byReason[k]
			if r == nil {
				r = NewSet(Dimension{DimTarget, t}, Dimension{DimReason, reason})
				byReason[k] = r
			}
			r.Count(name, 1)
		}
		if (name == Delivered || name == Deleted) && !e.EventAt.IsZero() && e.SourceType != profile.SourceTypeReconcile {
			s.Observe(EventToDeliveryLatency, Milliseconds, float64(max(0, e.At.Sub(e.EventAt).Milliseconds())))
		}
	}
	out := make([]*Set, 0, len(byTarget)+len(byReason))
	for _, t := range sortedKeys(byTarget) {
		out = append(out, byTarget[t])
	}
	keys := make([][2]string, 0, len(byReason))
	for k := range byReason {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		out = append(out, byReason[k])
	}
	return out
}

// classify names the metric an entry counts in, and its reason code.
func classify(e delivery.Entry) (name, reason string) {
	switch o := e.Outcome; {
	case o == delivery.Delivered || o == delivery.OptedOut || o == delivery.OutOfScope:
		return Delivered, ""
	case o == delivery.Deleted:
		return Deleted, ""
	case o == delivery.Retrying:
		return Retried, classOf(e)
	case o == delivery.Abandon:
		return DeadLettered, classOf(e)
	case strings.HasPrefix(string(o), "skipped_"):
		return Skipped, string(o)
	case o == "":
		return "", ""
	default:
		// An outcome this version does not know: counted, under its code
		// (outcomes are a closed set of constants in pkg/delivery).
		return Skipped, string(o)
	}
}

// classOf is a failure's fault class: the entry's Class, else the class
// its Reason (delivery.Reason.String: "[cause: ]class (status n) ...")
// starts with; "unknown" when neither says.
func classOf(e delivery.Entry) string {
	if e.Class != "" {
		return e.Class
	}
	r := e.Reason
	for _, cause := range []string{delivery.CausePermanent, delivery.CauseBudget, delivery.CauseAttempts} {
		r = strings.TrimPrefix(r, cause+": ")
	}
	if c, _, _ := strings.Cut(r, " "); knownClass[c] {
		return c
	}
	return "unknown"
}

var knownClass = map[string]bool{fault.Transient.String(): true, fault.Throttled.String(): true,
	fault.Auth.String(): true, fault.Permanent.String(): true}

// dimValue keeps an empty name a valid dimension value.
func dimValue(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Join is the journal of the non-nil js: nil for none, the one itself
// for one, delivery.Journals otherwise (every journal hears every batch,
// the errors joined).
func Join(js ...delivery.Journal) delivery.Journal {
	var out delivery.Journals
	for _, j := range js {
		if j != nil {
			out = append(out, j)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}
