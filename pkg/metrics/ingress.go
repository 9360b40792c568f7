package metrics

import (
	"context"
	"log/slog"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// The ingress function's metrics, per source (dimension Source; a POST to
// an unconfigured source counts under ingress.UnknownSource). Rejected
// and Unavailable are also counted per Reason (dimensions Source, Reason:
// an ingress.Reason* code).
const (
	Accepted    = "Accepted"    // requests answered 2xx
	Events      = "Events"      // events in the accepted requests
	Rejected    = "Rejected"    // requests refused as the sender's fault (4xx)
	Unavailable = "Unavailable" // requests answered 503 for the sender to retry
)

// Ingress writes each webhook request's verdict as EMF lines: one per
// request under its source, and one under its source and reason when it
// was not accepted. A write error is logged, never answered.
type Ingress struct {
	Emitter *Emitter
	Log     *slog.Logger // nil: slog.Default()
}

var _ ingress.Meter = Ingress{}

// Webhook implements ingress.Meter.
func (m Ingress) Webhook(ctx context.Context, v ingress.Verdict) {
	if err := m.Emitter.Emit(SourceSets(v)...); err != nil {
		log := m.Log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "metrics not written", "source", v.Source, "error", err.Error())
	}
}

// SourceSets are the sets of one verdict.
func SourceSets(v ingress.Verdict) []*Set {
	src := Dimension{DimSource, dimValue(v.Source)}
	s := NewSet(src)
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	refused := !v.Accepted && !v.Unavailable
	s.Count(Accepted, flag(v.Accepted))
	s.Count(Rejected, flag(refused))
	s.Count(Unavailable, flag(v.Unavailable))
	s.Count(Events, v.Events)
	if v.Accepted {
		return []*Set{s}
	}
	r := NewSet(src, Dimension{DimReason, dimValue(v.Reason)})
	if v.Unavailable {
		r.Count(Unavailable, 1)
	} else {
		r.Count(Rejected, 1)
	}
	return []*Set{s, r}
}
