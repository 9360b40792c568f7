package ingress

import (
	"context"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
)

// erasures are the pending erasures of the deletes among evs, one per
// target each is routed to (routed[i] is evs[i]'s): what the ledger must
// hold before the deletes are queued. Nil when there is no delete, so
// creates and updates cost the ledger nothing.
//
// Ledger first, then the queues: a delete lost after the ledger write (a
// queue refuses it, the function dies) is still a pending row, which the
// unconfirmed-erasure alarm reports, and the CIAM's resend finds its rows
// there already (Open keeps the first request and never reopens a settled
// one). The other order would leave a window where a queued delete has
// no row, which is what the ledger is for.
func erasures(evs []profile.Event, routed []Routed) []delivery.Erasure {
	var out []delivery.Erasure
	for i, e := range evs {
		if e.Type != profile.Deleted {
			continue
		}
		for _, t := range routed[i].Targets {
			out = append(out, delivery.Erasure{Subject: e.Subject, Target: t, EventID: e.ID,
				Status: delivery.ErasurePending, RequestedAt: e.OccurredAt})
		}
	}
	return out
}

// openErasures records the deletes' erasures as pending in one call (the
// ledger batches it as its store allows).
func (h *Handler) openErasures(ctx context.Context, evs []profile.Event, routed []Routed) error {
	if h.Erasures == nil {
		return nil
	}
	es := erasures(evs, routed)
	if len(es) == 0 {
		return nil
	}
	return h.Erasures.Open(ctx, es)
}
