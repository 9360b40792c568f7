package wiring

import (
	"context"
	"errors"
	"sort"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/metrics"
	"github.com/profilesync/profilesync/pkg/profile"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
)

// IngressPorts are the ingress function's ports.
type IngressPorts struct {
	Function
	Queue ingress.Queue // SQS queues by target on AWS, SQLite locally
	// Bodies keeps envelopes too large for a queue message whose source
	// cannot be fetched: files locally, an S3 bucket on AWS (BODY_BUCKET).
	// Optional: without it such an event is answered 503.
	Bodies ingress.BodyStore
	// Rules are the claim rules: an event one of them wants also goes to
	// the verifier's queue (claims.QueueName). Optional.
	Rules *claims.RuleSet
	// Archive keeps every accepted event for `profilesync replay`: an S3
	// bucket on AWS (ARCHIVE_BUCKET), SQLite locally. Optional.
	Archive ingress.Archive
	// Erasures is the erasure ledger, where every delete is recorded
	// pending per target before it is queued: the sync log's table on AWS
	// (SYNC_LOG_TABLE), SQLite locally. Optional.
	Erasures delivery.ErasureLedger
}

// Ingress builds the webhook handler: every source from its secret, routing
// by the mappings, enqueueing on p.Queue.
func Ingress(ctx context.Context, p IngressPorts) (*ingress.Handler, error) {
	if p.Mappings == nil || p.Secrets == nil || p.Queue == nil {
		return nil, errors.New("ingress: mappings, secrets and a queue are required")
	}
	hc := p.httpClient()
	parsers, fetchers, err := sourcereg.BuildAll(ctx, p.Sources, p.Secrets, hc)
	if err != nil {
		return nil, err
	}
	fetchable := make(map[string]bool, len(fetchers))
	for name := range fetchers {
		fetchable[name] = true
	}
	route, err := IngressRouter(p.Mappings, p.Rules)
	if err != nil {
		return nil, err
	}
	h := &ingress.Handler{Sources: parsers, Router: route, Queue: p.Queue, Fetchable: fetchable, Bodies: p.Bodies,
		Archive: p.Archive, Now: p.now(), Log: p.log()}
	if p.Erasures != nil {
		h.Erasures = mappedErasures{ledger: p.Erasures, ms: p.Mappings}
	}
	if e := p.emitter(); e != nil {
		h.Meter = metrics.Ingress{Emitter: e, Log: p.log()}
	}
	return h, nil
}

// mappedErasures opens only the erasures of mapping targets: the claim
// verifier's queue holds no one's data, and no delivery would ever settle
// a row of its.
type mappedErasures struct {
	ledger delivery.ErasureLedger
	ms     *mapping.Set
}

func (m mappedErasures) Open(ctx context.Context, es []delivery.Erasure) error {
	kept := es[:0:0]
	for _, e := range es {
		if m.ms.Get(e.Target) != nil {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return m.ledger.Open(ctx, kept)
}

// IngressRouter is the routing the ingress uses: the mappings' targets
// and, when a claim rule wants the event, the verifier's queue.
// `profilesync replay` routes archived events with it again.
func IngressRouter(ms *mapping.Set, rules *claims.RuleSet) (ingress.Router, error) {
	if len(rules.All()) == 0 {
		return ms, nil
	}
	if ms.Get(claims.QueueName) != nil {
		return nil, errors.New("ingress: a mapping may not be called " + claims.QueueName + ": the claim verifier's queue has that name")
	}
	return router{ms: ms, rules: rules}, nil
}

// router routes an event to the targets of the mappings and, when a claim
// rule wants it, to the verifier's queue.
type router struct {
	ms    *mapping.Set
	rules *claims.RuleSet
}

func (r router) Route(e profile.Event) []string {
	out := r.ms.Route(e)
	if r.rules.Wants(e) {
		out = append(out, claims.QueueName)
		sort.Strings(out)
	}
	return out
}
