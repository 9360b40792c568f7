package wiring

import (
	"context"
	"errors"

	"github.com/profilesync/profilesync/pkg/ingress"
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
	return &ingress.Handler{Sources: parsers, Router: p.Mappings, Queue: p.Queue, Fetchable: fetchable, Bodies: p.Bodies,
		Now: p.now(), Log: p.log()}, nil
}
